using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>The hosted pages' frame: plain, server-rendered, accessible HTML (landmarks, labels, visible focus).</summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static IResult Page(string title, string body, int status = 200) => Results.Content($$"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · LocalStripe</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1a1a1a; }
          main { max-width: 36rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 3px #0003; }
          .notice { background: #fff4d6; border: 1px solid #c99a00; padding: .5rem .75rem; border-radius: 4px; }
          table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
          th, td { text-align: left; padding: .5rem; border-bottom: 1px solid #d0d7de; }
          caption { text-align: left; font-weight: 600; }
          button { font: inherit; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #4f46e5; color: #fff; cursor: pointer; }
          button.danger { background: #b42318; }
          button:focus-visible, a:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
          a { color: #3730a3; }
        </style>
        </head>
        <body>
        <main>
        <p class="notice">LocalStripe, a local stand-in for Stripe in test mode: no card is charged.</p>
        {{body}}
        </main>
        </body>
        </html>
        """, "text/html; charset=utf-8", statusCode: status);

    /// <summary>"12.50 USD"; a unit amount in the currency's minor unit (two decimals for the currencies we use).</summary>
    public static string Money(JsonNode? minorUnits, JsonNode? currency) =>
        decimal.TryParse(minorUnits?.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
            ? $"{(amount / 100m).ToString("0.00##", CultureInfo.InvariantCulture)} {((string?)currency)?.ToUpperInvariant()}"
            : "";

    /// <summary>"per month", "every 3 months".</summary>
    public static string Interval(JsonNode? recurring) => recurring is null ? "once"
        : (long)recurring["interval_count"]! == 1 ? $"per {recurring["interval"]}"
        : $"every {recurring["interval_count"]} {recurring["interval"]}s";
}
