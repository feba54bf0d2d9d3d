namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// Operations LocalStripe serves that the official spec subset does not cover (list, update, search,
/// cancel). Their parameters are declared here by us, from Stripe's API reference, and only those
/// LocalStripe implements: anything else answers 400 "Received unknown parameter", so a client never
/// relies on a parameter this stand-in silently ignores. Grammar: see <see cref="ParamSpec.Declared"/>.
/// </summary>
internal static class DeclaredOperations
{
    private const string List = "limit:integer starting_after ending_before expand:string[]";

    public static readonly (string Operation, string Parameters)[] All =
    [
        ("GET /v1/customers", $"{List} email"),
        ("GET /v1/customers/search", "query! limit:integer page expand:string[]"),
        ("POST /v1/customers/{customer}", "address:any description email expand:string[] metadata:map name phone preferred_locales:string[]"),
        ("GET /v1/products", $"{List} active:boolean ids:string[]"),
        ("GET /v1/products/{id}", "expand:string[]"),
        ("POST /v1/products/{id}", "active:boolean description expand:string[] metadata:map name statement_descriptor unit_label url"),
        ("GET /v1/prices", $"{List} active:boolean currency lookup_keys:string[] product type"),
        ("GET /v1/prices/{price}", "expand:string[]"),
        ("POST /v1/prices/{price}", "active:boolean expand:string[] lookup_key metadata:map nickname transfer_lookup_key:boolean"),
        ("GET /v1/billing/meters/{id}", "expand:string[]"),
        ("POST /v1/billing/meters/{id}", "display_name expand:string[]"),
        ("POST /v1/billing/meters/{id}/deactivate", "expand:string[]"),
        ("POST /v1/billing/meters/{id}/reactivate", "expand:string[]"),
        ("GET /v1/subscriptions", $"{List} customer price status"),
        ("POST /v1/subscriptions/{subscription_exposed_id}", "cancel_at_period_end:boolean description expand:string[] metadata:map"),
        ("DELETE /v1/subscriptions/{subscription_exposed_id}", "cancellation_details:any expand:string[] invoice_now:boolean prorate:boolean"),
        ("GET /v1/events", $"{List} type types:string[]"),
        ("GET /v1/events/{id}", "expand:string[]"),
    ];
}
