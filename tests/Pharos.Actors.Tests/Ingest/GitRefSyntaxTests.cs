using FsCheck;
using Pharos.Actors.Ingest;

namespace Pharos.Actors.Tests.Ingest;

public sealed class GitRefSyntaxTests
{
    [Theory]
    [InlineData("main")]
    [InlineData("v1.2.3")]
    [InlineData("feature/new-parser")]
    [InlineData("refs/heads/main")]
    [InlineData("refs/tags/v1.0")]
    [InlineData("release_2+hotfix")]
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    public void Branches_tags_full_names_and_shas_are_taken(string gitRef) => Assert.Null(GitRefSyntax.Problem(gitRef));

    [Theory]
    [InlineData("")]
    [InlineData("-b")]
    [InlineData("--upload-pack=touch /tmp/x")]
    [InlineData("main~1")]
    [InlineData("HEAD^")]
    [InlineData("a..b")]
    [InlineData("@{-1}")]
    [InlineData("has space")]
    [InlineData("a//b")]
    [InlineData("/main")]
    [InlineData("main/")]
    [InlineData("main.")]
    [InlineData("main.lock")]
    [InlineData("x.lock/y")]
    [InlineData("a/.hidden")]
    [InlineData("tab\there")]
    [InlineData("$(id)")]
    [InlineData("brañch")]
    public void Anything_git_or_a_shell_could_misread_is_refused(string gitRef) => Assert.NotNull(GitRefSyntax.Problem(gitRef));

    [Fact]
    public void A_ref_longer_than_the_bound_is_refused() =>
        Assert.Contains("at most", GitRefSyntax.Problem(new string('a', GitRefSyntax.MaxLength + 1)));

    [Property(MaxTest = 500)]
    public Property What_is_taken_holds_only_safe_characters_and_never_starts_an_option(NonNull<string> text) =>
        (GitRefSyntax.Problem(text.Get) is not null
         || (text.Get.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+".Contains(c)) && !text.Get.StartsWith('-')
             && !text.Get.Contains("..", StringComparison.Ordinal))).ToProperty();

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef01234567", true)]
    [InlineData("0123456789abcdef0123456789abcdef0123456", false)]
    [InlineData("main", false)]
    public void A_full_sha_is_told_from_a_name(string gitRef, bool sha) => Assert.Equal(sha, GitRefSyntax.IsCommitSha(gitRef));
}
