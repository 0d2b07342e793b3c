using Pharos.CloudNode;

return await CloudApp.RunAsync(args);
