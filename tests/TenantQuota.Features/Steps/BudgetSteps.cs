using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Reqnroll;
using TenantQuota.Api.Entitlements;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>Enterprise budgets: the tenant budget, departments and their people, reservations, model prices.</summary>
[Binding]
public sealed class BudgetSteps(ScenarioApi api)
{
    private string? _reservationId;

    private HttpClient Admin() => api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));

    private static object Requests(long limit, string overQuota = "block", string? fallbackClass = null) =>
        new { limit, unit = "request", period = "monthly", overQuota, fallbackClass };

    private async Task Put(string path, object body)
    {
        var answer = await Admin().SendAsync(HttpMethod.Put, path, body);
        Assert.True(answer.Status is 200 or 201, $"PUT {path} answered {answer.Status} {answer.Body}");
    }

    [Given("the tenant has a budget of {long} requests a month")]
    public Task TenantBudget(long limit) => Put("/v1/tenant/budget", Requests(limit));

    [Given("the department {string} has a budget of {long} requests a month")]
    public Task DepartmentBudget(string department, long limit) => Department(department, Requests(limit));

    [Given("the department {string} has a budget of {long} requests a month that degrades to {string}")]
    public Task DegradingDepartment(string department, long limit, string fallback) => Department(department, Requests(limit, "degrade", fallback));

    [Given("the department {string} has a budget of {long} requests a month that only warns")]
    public Task WarningDepartment(string department, long limit) => Department(department, Requests(limit, "warn"));

    [Given("the department {string} has a budget of {decimal} dollars a month")]
    public Task DollarDepartment(string department, decimal limit) =>
        Department(department, new { limit, unit = "usd", period = "monthly", overQuota = "block" });

    [Given("the department {string} has a budget of {decimal} dollars a month that degrades to the model {string}")]
    public Task DollarDepartmentDegradingToModel(string department, decimal limit, string model) =>
        Department(department, new { limit, unit = "usd", period = "monthly", overQuota = "degrade", fallbackModel = model });

    [Given("the department {string} may call only {string}")]
    public Task DepartmentModels(string department, string model) =>
        Put($"/v1/tenant/departments/{department}", new { name = department, models = new[] { model } });

    [Given("the department {string} has priority {string}")]
    public Task Priority(string department, string priority) =>
        Put($"/v1/tenant/departments/{department}", new { name = department, priority });

    private Task Department(string id, object budget) => Put($"/v1/tenant/departments/{id}", new { name = id, budget });

    [Given("{string} works in {string}")]
    [When("{string} moves to {string}")]
    public async Task WorksIn(string subject, string department)
    {
        var current = (await Admin().SendAsync(HttpMethod.Get, $"/v1/tenant/subjects/{subject}")).Json;
        await Put($"/v1/tenant/subjects/{subject}", new { departmentId = department, overrides = current["overrides"] });
    }

    [Given("{string} and {string} work in {string}")]
    public async Task BothWorkIn(string first, string second, string department)
    {
        await WorksIn(first, department);
        await WorksIn(second, department);
    }

    [Given("the tenant admin limits {string} to {long} {string} a day")]
    public async Task LimitsSubject(string subject, long hardLimit, string operationClass)
    {
        var current = (await Admin().SendAsync(HttpMethod.Get, $"/v1/tenant/subjects/{subject}")).Json;
        var overrides = new JsonObject { [operationClass] = new JsonObject { ["hardLimit"] = hardLimit, ["softLimit"] = hardLimit, ["overQuota"] = "block" } };
        await Put($"/v1/tenant/subjects/{subject}", new { departmentId = (string?)current["departmentId"], overrides });
    }

    [When("the back end reserves {long} {string} for {string}")]
    public Task Reserves(long quantity, string operationClass, string subject) => Reserve(new { subjectId = subject, operationClass, quantity, idempotencyKey = NewKey() });

    [When("the back end reserves {long} {string} for {string} for {int} seconds")]
    public Task ReservesFor(long quantity, string operationClass, string subject, int seconds) =>
        Reserve(new { subjectId = subject, operationClass, quantity, idempotencyKey = NewKey(), ttlSeconds = seconds });

    private async Task Reserve(object body)
    {
        var answer = api.Record(await api.Backend().ReserveAsync(body));
        _reservationId = (string?)answer.Body?["reservationId"] ?? _reservationId;
    }

    [When("the back end commits {long}")]
    public async Task Commits(long quantity) => api.Record(await api.Backend().CommitAsync(RequireReservation, new { quantity }));

    [When("the back end releases the reservation")]
    public async Task Releases() => api.Record(await api.Backend().ReleaseAsync(RequireReservation));

    [When("expired reservations are swept")]
    public async Task Sweep() => await api.Host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None);

    [Given("the back end consumes {string} for {string} with model {string}, {long} input and {long} output tokens")]
    [When("the back end consumes {string} for {string} with model {string}, {long} input and {long} output tokens")]
    public async Task ConsumesWithModel(string operationClass, string subject, string model, long input, long output) =>
        api.Record(await api.Backend().ConsumeAsync(new { subjectId = subject, operationClass, idempotencyKey = NewKey(), model, tokens = new { input, output } }));

    [Then("the limiting level is {string}")]
    public void LimitingLevel(string level) => Assert.Equal(level, (string?)api.RequireLast.Json["limitingLevel"]);

    [Then("the limiting level is {string} because of {string}")]
    public void LimitingLevelBecause(string level, string reason) =>
        Assert.Equal((level, reason), ((string?)api.RequireLast.Json["limitingLevel"], (string?)api.RequireLast.Json["reason"]));

    [Then("the {word} level shows {decimal} used of {decimal}")]
    public void LevelShows(string level, decimal used, decimal limit)
    {
        var found = api.RequireLast.Json["levels"]!.AsArray().Single(l => (string)l!["level"]! == level)!;
        Assert.Equal((used, limit), ((decimal)found["used"]!, (decimal)found["limit"]!));
    }

    [Then("the model to use instead is {string}")]
    public void FallbackModel(string model) => Assert.Equal(model, (string?)api.RequireLast.Json["fallbackModel"]);

    [Then("the call cost {decimal} dollars")]
    public void CallCost(decimal dollars) => Assert.Equal(dollars, (decimal)api.RequireLast.Json["costUsd"]!);

    [Then("the department {string} has spent {decimal} of its budget")]
    public async Task DepartmentSpent(string department, decimal spent)
    {
        var answer = await Admin().SendAsync(HttpMethod.Get, $"/v1/tenant/departments/{department}");
        Assert.Equal(spent, (decimal)answer.Json["budget"]!["spent"]!);
    }

    [Then("{long} came from the burst, {long} of it left")]
    public void FromBurst(long taken, long left)
    {
        var burst = api.RequireLast.Json["burst"]!;
        Assert.Equal((taken, left), ((long)burst["fromThisRequest"]!, (long)burst["remaining"]!));
    }

    [Then("the reservation is {string}")]
    public void ReservationStatus(string status) => Assert.Equal(status, (string?)api.RequireLast.Json["status"]);

    private string RequireReservation => _reservationId ?? throw new InvalidOperationException("No reservation was made yet.");

    private static string NewKey() => Guid.NewGuid().ToString("N");

}
