using TenantQuota.Domain.Matrix;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>A bad matrix or bad copy templates stop the service at start, with a message that says what to fix.</summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("tq-startup-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public void Refuses_to_start_with_a_matrix_error_naming_tier_class_and_field()
    {
        var matrix = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "quota-matrix.yaml"))
            .Replace("drafts:              { softLimit: 15,     hardLimit: 20,     reset: daily,   overQuota: degrade, fallbackClass: summaries }",
                     "drafts:              { softLimit: 15,     hardLimit: 20,     reset: daily,   overQuota: degrade }");
        var path = Path.Combine(_scratch.FullName, "matrix.yaml");
        File.WriteAllText(path, matrix);
        using var host = new ApiHost(new Dictionary<string, string?> { ["Quota:MatrixPath"] = path });

        var error = Assert.ThrowsAny<Exception>(() => host.Address);

        var matrixError = Assert.IsType<QuotaMatrixException>(Unwrap(error));
        Assert.Contains("tier 'free', class 'drafts', field 'fallbackClass'", matrixError.Message);
    }

    [Fact]
    public void Refuses_to_start_with_a_price_table_error_naming_model_entry_and_field()
    {
        var path = Path.Combine(_scratch.FullName, "prices.yaml");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "prices.yaml"))
            .Replace("- { from: 2026-12-01, input: 2.00, output: 8.00 }", "- { from: 2026-12-01, input: 2.00, output: 8.0000001 }"));
        using var host = new ApiHost(new Dictionary<string, string?> { ["Quota:PricesPath"] = path });

        var error = Assert.IsType<TenantQuota.Domain.Prices.PriceTableException>(Unwrap(Assert.ThrowsAny<Exception>(() => host.Address)));

        Assert.StartsWith("model 'gpt-large', price 2, field 'output'", Assert.Single(error.Errors));
    }

    [Fact]
    public void Refuses_to_start_when_a_template_refers_to_an_unknown_field()
    {
        var templates = Path.Combine(_scratch.FullName, "templates");
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "templates"), "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(templates, Path.GetRelativePath(Path.Combine(AppContext.BaseDirectory, "templates"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        var spanish = Path.Combine(templates, "es", "messages.yaml");
        File.WriteAllText(spanish, File.ReadAllText(spanish).Replace("{{ remaining | num }}", "{{ remainig | num }}"));
        using var host = new ApiHost(new Dictionary<string, string?> { ["Quota:TemplatesPath"] = templates });

        var error = Unwrap(Assert.ThrowsAny<Exception>(() => host.Address));

        Assert.Contains(Path.Combine("es", "messages.yaml"), error.Message);
        Assert.Contains("'nudge title'", error.Message);
        Assert.Contains("remainig", error.Message);
    }

    [Fact]
    public void Refuses_to_start_with_a_final_warning_before_the_nudge_and_names_both_settings()
    {
        using var host = new ApiHost(new Dictionary<string, string?> { ["Quota:NudgeAt"] = "0.9", ["Quota:FinalWarningAt"] = "0.8" });

        var error = Unwrap(Assert.ThrowsAny<Exception>(() => host.Address));

        Assert.Contains("Quota__NudgeAt", error.Message);
        Assert.Contains("Quota__FinalWarningAt", error.Message);
    }

    private static Exception Unwrap(Exception error)
    {
        while (error is AggregateException or System.Reflection.TargetInvocationException && error.InnerException is not null)
            error = error.InnerException!;
        return error;
    }
}
