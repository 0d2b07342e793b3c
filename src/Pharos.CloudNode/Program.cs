using Pharos.Actors.Edge.Jobs;
using Pharos.CloudNode;

// `job clone|analyze`: one stage of one task, in the process a standalone node's worker started for it.
if (args is ["job", .. var job]) return JobHost.Run(job);

return await CloudApp.RunAsync(args);
