using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using TenantQuota.Api.EndUser;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Plans;
using TenantQuota.Api.Tenants;

namespace TenantQuota.Api.Hosting;

/// <summary>Source-generated JSON for the API's bodies: no reflection on the hot path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EntitlementRequest))]
[JsonSerializable(typeof(DecisionResponse))]
[JsonSerializable(typeof(CommitRequest))]
[JsonSerializable(typeof(ReleaseResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Budgets.BudgetStanding))]
[JsonSerializable(typeof(TenantQuota.Api.Budgets.DepartmentRequest))]
[JsonSerializable(typeof(TenantQuota.Api.Budgets.DepartmentResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Budgets.DepartmentsResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Budgets.SubjectRequest))]
[JsonSerializable(typeof(TenantQuota.Api.Budgets.SubjectResponse))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(PlansResponse))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(ChangeTierRequest))]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(CreateViewTokenRequest))]
[JsonSerializable(typeof(ViewTokenResponse))]
[JsonSerializable(typeof(AllowedOriginsRequest))]
[JsonSerializable(typeof(AllowedOriginsResponse))]
[JsonSerializable(typeof(UxEventRequest))]
[JsonSerializable(typeof(UxMetricsResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Audit.AuditPage))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.CreateWebhookRequest))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.CreatedWebhookEndpointResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.WebhookEndpointList))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.TenantEventList))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.ChargebackResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.UsageAnalyticsResponse))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, decimal[]>))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.ReportSubscriptionRequest))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.ReportSubscriptionResponse))]
[JsonSerializable(typeof(TenantQuota.Api.Governance.HoldList))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
