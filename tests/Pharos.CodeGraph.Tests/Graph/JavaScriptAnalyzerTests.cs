namespace Pharos.CodeGraph.Tests.Graph;

public sealed class JavaScriptAnalyzerTests
{
    private static ImportGraph BuildJs(TempRepository repo)
    {
        var graph = repo.Build(new JavaScriptAnalyzer());
        GraphAssert.WellFormed(graph);
        return graph;
    }

    /// <summary>src/{a,b,c,d,e,f,g}.js and a main file.</summary>
    private static TempRepository Tree(string mainPath, string mainText) => new(
        ("src/a.js", ""), ("src/b.js", ""), ("src/c.js", ""), ("src/d.js", ""),
        ("src/e.js", ""), ("src/f.js", ""), ("src/g.js", ""), ("src/h.js", ""), ("src/i.js", ""),
        (mainPath, mainText));

    [Fact]
    public void Every_import_form_counts()
    {
        using var repo = Tree("src/main.js", """
            import a from './a';
            import { b1,
              b2 as bee,
            } from "./b.js";
            import * as c from './c'
            import d, { d2 } from './d';
            import './e';
            export { f } from './f';
            export * from './g';
            export * as h from "./h";
            const i = require('./i');
            const lazy = () => import('./a');
            import React from 'react';
            const fs = require("node:fs");
            """);
        var graph = BuildJs(repo);
        GraphAssert.EdgesAre(graph,
            "src/main.js -> src/a.js", "src/main.js -> src/b.js", "src/main.js -> src/c.js", "src/main.js -> src/d.js",
            "src/main.js -> src/e.js", "src/main.js -> src/f.js", "src/main.js -> src/g.js", "src/main.js -> src/h.js",
            "src/main.js -> src/i.js");
        GraphAssert.UnresolvedIs(graph, "src/main.js", 2);
    }

    [Fact]
    public void TypeScript_type_imports_and_exports_count()
    {
        using var repo = new TempRepository(
            ("src/types.ts", "export interface T { x: number }"),
            ("src/other.ts", "export type U = string;"),
            ("src/main.ts", "import type { T } from './types';\nexport type { U } from './other';\nimport { type T as T2 } from './types';\nlet v: T;\n"));
        var graph = BuildJs(repo);
        GraphAssert.EdgesAre(graph, "src/main.ts -> src/types.ts", "src/main.ts -> src/other.ts");
        GraphAssert.UnresolvedIs(graph, "src/main.ts", 0);
        Assert.Equal(LanguageNames.TypeScript, graph.LanguageByNode["src/main.ts"]);
    }

    [Fact]
    public void Comments_strings_templates_and_regexes_that_mention_imports_do_not_count()
    {
        using var repo = Tree("src/main.jsx", """
            // import a from './a';
            /* import b from './b';
               require('./c') */
            const s1 = "import d from './d'";
            const s2 = 'require("./e")';
            const t = `import f from './f' ${"x"} export * from './g'`;
            const re = /import h from '.\/h'/g;
            const re2 = x.replace(/['"]/g, '');
            const obj = { import: 1, require: 2 };
            obj.import('./a'); obj.require('./b');
            const div = 4 / 2; const after = 'import c from "./c"';
            const nested = `outer ${`inner ${require('./i')}`} tail import './h'`;
            if (/\/\*/.test(s1)) { }
            const view = <div className="x">Don't import './a'<br/>and/or</div>;
            const check = (s) => /['"]/.test(s) && 'require("./b")';
            """);
        var graph = BuildJs(repo);
        GraphAssert.EdgesAre(graph, "src/main.jsx -> src/i.js");
        GraphAssert.UnresolvedIs(graph, "src/main.jsx", 0);
    }

    [Fact]
    public void Directory_index_resolution_and_extension_order()
    {
        using var repo = new TempRepository(
            ("app/components/index.tsx", ""),
            ("app/lib/index.js", ""),
            ("app/util.ts", ""),
            ("app/util.js", ""), // .ts is tried first
            ("app/data.json", "{}"),
            ("app/types.d.ts", ""),
            ("app/main.ts", "import c from './components';\nimport l from './lib/';\nimport u from './util';\nimport d from './data.json';\nimport type { X } from './types';\nimport r from '..';\n"),
            ("index.ts", ""));
        var graph = BuildJs(repo);
        GraphAssert.EdgesAre(graph,
            "app/main.ts -> app/components/index.tsx", "app/main.ts -> app/lib/index.js", "app/main.ts -> app/util.ts",
            "app/main.ts -> app/types.d.ts", "app/main.ts -> index.ts");
        GraphAssert.UnresolvedIs(graph, "app/main.ts", 0); // data.json is in the repository: no edge, not unresolved
    }

    [Fact]
    public void A_js_specifier_may_name_a_ts_file()
    {
        using var repo = new TempRepository(
            ("src/x.ts", ""),
            ("src/y.tsx", ""),
            ("src/z.mts", ""),
            ("src/real.js", ""),
            ("src/real.ts", ""),
            ("src/main.ts", "import './x.js';\nimport './y.jsx';\nimport './z.mjs';\nimport './real.js';\nimport './gone.js';\n"));
        var graph = BuildJs(repo);
        GraphAssert.EdgesAre(graph, "src/main.ts -> src/x.ts", "src/main.ts -> src/y.tsx", "src/main.ts -> src/z.mts", "src/main.ts -> src/real.js");
        GraphAssert.UnresolvedIs(graph, "src/main.ts", 1);
    }

    [Fact]
    public void Parent_paths_bare_packages_and_escapes()
    {
        using var repo = new TempRepository(
            ("a/b/c.mjs", "import x from '../../d.cjs';\nimport y from '../e';\nimport z from '../../../outside';\nimport w from 'lodash/fp';\nimport v from '@scope/pkg';\n"),
            ("a/e.jsx", ""),
            ("d.cjs", "module.exports = require('./a/e.jsx');"));
        var graph = BuildJs(repo);
        GraphAssert.EdgesAre(graph, "a/b/c.mjs -> d.cjs", "a/b/c.mjs -> a/e.jsx", "d.cjs -> a/e.jsx");
        GraphAssert.UnresolvedIs(graph, "a/b/c.mjs", 3);
    }

    [Fact]
    public void Parser_reads_the_specifiers_in_order()
    {
        var specifiers = JavaScriptImportParser.Parse(
            "import a, * as b from 'one'; export { x as default, y } from \"two\"; const q = await import(\"three\", { with: { type: 'json' } });\n" +
            "export const z = 1; export default function f() { return /from 'no'/.source; }\nimport.meta.url; require(`four`);");
        Assert.Equal(["one", "two", "three", "four"], specifiers);
    }
}
