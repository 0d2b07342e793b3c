namespace Pharos.CodeGraph.Tests.Graph;

public sealed class ImportGraphBuilderTests
{
    /// <summary>Reports fixed imports for every file it is given.</summary>
    private sealed class ScriptedAnalyzer(string language, Func<SourceFile, FileImports> analyze) : ILanguageAnalyzer
    {
        public IReadOnlySet<string> Languages { get; } = new HashSet<string> { language };

        public int Calls { get; private set; }

        public List<string> Seen { get; } = [];

        public IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository)
        {
            Calls++;
            Seen.AddRange(files.Select(f => f.Path));
            return files.Select(analyze).ToList();
        }
    }

    [Fact]
    public void Every_source_file_is_a_node_with_its_language_even_without_edges()
    {
        using var repo = new TempRepository(
            ("lonely.py", "x = 1\n"),
            ("web/app.tsx", "export const a = 1;\n"),
            ("web/util.cjs", ""),
            ("svc/Program.cs", "using System;\n"),
            ("svc/main.go", "package main\n"),
            ("svc/App.java", "class App {}\n"),
            ("notes.txt", "import lonely"));
        var graph = repo.Build();
        GraphAssert.WellFormed(graph);
        GraphAssert.NodesAre(graph, "lonely.py", "svc/App.java", "svc/Program.cs", "svc/main.go", "web/app.tsx", "web/util.cjs");
        GraphAssert.EdgesAre(graph);
        Assert.Equal(LanguageNames.Python, graph.LanguageByNode["lonely.py"]);
        Assert.Equal(LanguageNames.TypeScript, graph.LanguageByNode["web/app.tsx"]);
        Assert.Equal(LanguageNames.JavaScript, graph.LanguageByNode["web/util.cjs"]);
        Assert.Equal(LanguageNames.CSharp, graph.LanguageByNode["svc/Program.cs"]);
        Assert.Equal(LanguageNames.Go, graph.LanguageByNode["svc/main.go"]);
        Assert.Equal(LanguageNames.Java, graph.LanguageByNode["svc/App.java"]);
        // `using System;` names no namespace of the repository: the only unresolved import.
        Assert.Equal(1, graph.UnresolvedTotal);
        Assert.Equal(1, graph.UnresolvedByNode["svc/Program.cs"]);
        Assert.Equal(0, graph.SkippedFiles);
        Assert.Empty(graph.Warnings);
    }

    [Fact]
    public void Self_loops_duplicates_and_targets_that_are_not_nodes_are_dropped()
    {
        using var repo = new TempRepository(("a.py", ""), ("b.py", ""), ("c.py", ""), ("data.json", "{}"));
        var analyzer = new ScriptedAnalyzer(LanguageNames.Python, f => f.Path switch
        {
            "a.py" => new FileImports("a.py", ["a.py", "b.py", "b.py", "c.py", "data.json", "missing.py"], 2),
            "b.py" => new FileImports("b.py", ["a.py", "a.py"], 0),
            _ => new FileImports(f.Path, [], 1),
        });
        var graph = repo.Build(analyzer);
        GraphAssert.WellFormed(graph);
        GraphAssert.EdgesAre(graph, "a.py -> b.py", "a.py -> c.py", "b.py -> a.py");
        Assert.Equal(new Dictionary<string, int> { ["a.py"] = 2, ["b.py"] = 0, ["c.py"] = 1 }, graph.UnresolvedByNode);
        Assert.Equal(3, graph.UnresolvedTotal);
        Assert.Equal([(0, 1), (0, 2), (1, 0)], graph.Edges);
    }

    [Fact]
    public void Self_imports_through_the_real_analyzers_make_no_loop()
    {
        using var repo = new TempRepository(
            ("pkg/__init__.py", "from . import mod\nimport pkg\n"),
            ("pkg/mod.py", "from pkg import mod\nfrom . import mod as again\nimport pkg.mod, pkg.mod\n"),
            ("web/a.js", "import a from './a.js';\nimport b from './a';\nrequire('./a');\n"));
        var graph = repo.Build();
        GraphAssert.WellFormed(graph);
        GraphAssert.EdgesAre(graph, "pkg/__init__.py -> pkg/mod.py");
        Assert.Equal(0, graph.UnresolvedTotal);
    }

    [Fact]
    public void Each_analyzer_gets_exactly_its_languages_files_once()
    {
        using var repo = new TempRepository(("a.py", ""), ("b.ts", ""), ("c.js", ""), ("d.go", ""));
        var python = new ScriptedAnalyzer(LanguageNames.Python, f => new FileImports(f.Path, [], 0));
        var go = new ScriptedAnalyzer(LanguageNames.Go, f => new FileImports(f.Path, ["a.py"], 0));
        var graph = repo.Build(python, go);
        Assert.Equal(["a.py"], python.Seen);
        Assert.Equal(["d.go"], go.Seen);
        Assert.Equal(1, python.Calls);
        GraphAssert.EdgesAre(graph, "d.go -> a.py"); // edges may cross languages
    }

    [Fact]
    public void Two_analyzers_for_one_language_are_refused()
    {
        using var repo = new TempRepository(("a.py", ""));
        Assert.Throws<ArgumentException>(() => repo.Build(new PythonAnalyzer(), new PythonAnalyzer()));
    }

    [Fact]
    public void Reports_for_files_an_analyzer_was_not_given_are_ignored_with_a_warning()
    {
        using var repo = new TempRepository(("a.py", ""), ("b.js", ""));
        var rogue = new ScriptedAnalyzer(LanguageNames.Python, _ => new FileImports("b.js", ["a.py"], 5));
        var graph = repo.Build(rogue);
        GraphAssert.EdgesAre(graph);
        Assert.Equal(0, graph.UnresolvedTotal);
        Assert.Single(graph.Warnings);
    }

    [Fact]
    public void Default_analyzers_cover_python_and_javascript_and_typescript()
    {
        var languages = ImportGraphBuilder.DefaultAnalyzers.SelectMany(a => a.Languages).ToList();
        Assert.Equal(languages.Count, languages.Distinct().Count());
        Assert.Contains(LanguageNames.Python, languages);
        Assert.Contains(LanguageNames.JavaScript, languages);
        Assert.Contains(LanguageNames.TypeScript, languages);
    }

    [Fact]
    public void Mixed_repository_builds_the_exact_graph_deterministically()
    {
        using var repo = new TempRepository(
            ("backend/app/__init__.py", ""),
            ("backend/app/models.py", "from .db import Session\nimport json\n"),
            ("backend/app/db.py", "import sqlalchemy\n"),
            ("backend/app/api.py", "from app import models\nfrom app.db import Session\n"), // not a root: unresolved
            ("frontend/src/index.tsx", "import App from './App';\nimport './styles.css';\nimport React from 'react';\n"),
            ("frontend/src/App.tsx", "import { api } from './api/client';\n"),
            ("frontend/src/api/client.ts", "export const api = fetch;\n"),
            ("frontend/src/styles.css", "body {}\n"),
            ("frontend/node_modules/react/index.js", "module.exports = {};\n"));
        var first = repo.Build();
        var second = repo.Build();
        GraphAssert.WellFormed(first);
        GraphAssert.EdgesAre(first,
            "backend/app/models.py -> backend/app/db.py",
            "frontend/src/index.tsx -> frontend/src/App.tsx",
            "frontend/src/App.tsx -> frontend/src/api/client.ts");
        Assert.Equal(
            new Dictionary<string, int>
            {
                ["backend/app/__init__.py"] = 0,
                ["backend/app/api.py"] = 2,
                ["backend/app/db.py"] = 1,
                ["backend/app/models.py"] = 1,
                ["frontend/src/App.tsx"] = 0,
                ["frontend/src/api/client.ts"] = 0,
                ["frontend/src/index.tsx"] = 1,
            },
            first.UnresolvedByNode);
        Assert.Equal(first.Nodes, second.Nodes);
        Assert.Equal(first.Edges, second.Edges);
        Assert.Equal(new Dictionary<string, int> { [LanguageNames.Python] = 4, [LanguageNames.TypeScript] = 3 }, first.FilesByLanguage);
    }

    [Fact]
    public void Cancellation_is_observed()
    {
        using var repo = new TempRepository(("a.py", ""));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImportGraphBuilder.Build(repo.Root, cts.Token));
    }
}
