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
    public void Refuses_to_start_when_a_template_refers_to_an_unknown_field()
    {
        var templates = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "templates")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "templates")))
            File.Copy(file, Path.Combine(templates, Path.GetFileName(file)));
        var spanish = Path.Combine(templates, "quota-messages.es.yaml");
        File.WriteAllText(spanish, File.ReadAllText(spanish).Replace("{{remaining}}", "{{remainig}}"));
        using var host = new ApiHost(new Dictionary<string, string?> { ["Quota:TemplatesPath"] = templates });

        var error = Unwrap(Assert.ThrowsAny<Exception>(() => host.Address));

        Assert.Contains("quota-messages.es.yaml", error.Message);
        Assert.Contains("softLimit", error.Message);
    }

    private static Exception Unwrap(Exception error)
    {
        while (error is AggregateException or System.Reflection.TargetInvocationException && error.InnerException is not null)
            error = error.InnerException!;
        return error;
    }
}
