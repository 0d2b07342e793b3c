using Xunit.Abstractions;
using Xunit.Sdk;

namespace Pharos.Dashboard.Tests.Support;

/// <summary>The tests share one node with one worker: they run in the order their <see cref="OrderAttribute"/> gives.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OrderAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

public sealed class ByOrderAttribute : ITestCaseOrderer
{
    public const string TypeName = "Pharos.Dashboard.Tests.Support.ByOrderAttribute";
    public const string AssemblyName = "Pharos.Dashboard.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(test => test.TestMethod.Method.GetCustomAttributes(typeof(OrderAttribute).AssemblyQualifiedName)
            .Select(a => a.GetNamedArgument<int>(nameof(OrderAttribute.Order))).DefaultIfEmpty(int.MaxValue).First())
            .ThenBy(test => test.TestMethod.Method.Name, StringComparer.Ordinal);
}
