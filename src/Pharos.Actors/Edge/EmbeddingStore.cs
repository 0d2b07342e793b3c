using System.Text;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Training;

namespace Pharos.Actors.Edge;

/// <summary>
/// Embeddings on the edge: <c>PHAROS_DATA_DIR/embeddings/&lt;repo-slug&gt;/&lt;commit&gt;.{f32,json}</c>. A newer
/// commit of a repository replaces the older set, once the new one is complete.
/// </summary>
public static class EmbeddingStore
{
    /// <summary>Writes the set and returns its prefix (the path without .f32/.json).</summary>
    public static string Save(string embeddingsRoot, string repoUrl, string commitSha, RepositoryEmbedding embedding,
        Node2VecOptions options)
    {
        var directory = Path.Combine(embeddingsRoot, Slug(repoUrl));
        var prefix = Path.Combine(directory, commitSha);
        EmbeddingWriter.Save(prefix, embedding.Graph.Nodes, embedding.Embeddings, options, new
        {
            repo_url = repoUrl,
            commit_sha = commitSha,
            parse_seconds = Math.Round(embedding.ParseElapsed.TotalSeconds, 3),
        });
        foreach (var older in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(older);
            if (!name.StartsWith(commitSha + ".", StringComparison.Ordinal)) File.Delete(older);
        }
        return prefix;
    }

    /// <summary>
    /// A file name for a repository: host and path in lower case, every other character a dash
    /// (<c>https://github.com/Owner/Repo</c> → <c>github.com-owner-repo</c>).
    /// </summary>
    public static string Slug(string repoUrl)
    {
        var text = repoUrl.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text[(scheme + 3)..];
        // Drop a user name (git@host:path, https://user@host/path), never part of the repository's name.
        var at = text.IndexOf('@');
        var slash = text.IndexOf('/');
        if (at >= 0 && (slash < 0 || at < slash)) text = text[(at + 1)..];
        var slug = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            var keep = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_';
            if (keep) slug.Append(c);
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
        }
        var result = slug.ToString().Trim('-', '.');
        if (result.EndsWith(".git", StringComparison.Ordinal)) result = result[..^4];
        if (result.Length > 120) result = result[..100] + "-" + Convert.ToHexString(
            System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(repoUrl)))[..16].ToLowerInvariant();
        return result.Length == 0 ? "repository" : result;
    }
}
