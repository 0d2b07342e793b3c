using System.Net.Http.Json;

namespace Pharos.CloudNode.Tests;

/// <summary>The refusals of the HTTP API as the tests read them.</summary>
internal static class Problems
{
    /// <summary>Asserts a problem+json answer with <paramref name="expected"/> status, and returns its body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
