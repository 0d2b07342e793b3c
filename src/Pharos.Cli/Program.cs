using Pharos.Cli;

return await PharosCommand.RunAsync(args, Console.Out, Console.Error);
