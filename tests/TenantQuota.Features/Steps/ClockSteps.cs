using Reqnroll;

namespace TenantQuota.Features.Steps;

/// <summary>
/// The API host's clock. It is shared by every scenario (see <see cref="ApiHostHooks"/>), which is why
/// scenarios run one at a time and each starts at the real time.
/// </summary>
[Binding]
public sealed class ClockSteps(ScenarioApi api)
{
    [BeforeScenario]
    public void StartAtTheRealTime() => api.Host.Clock.Set(DateTimeOffset.UtcNow);

    [Given("the time is {string}")]
    [When("the time is {string}")]
    public void TheTimeIs(string instant) => api.Host.Clock.Set(instant);
}
