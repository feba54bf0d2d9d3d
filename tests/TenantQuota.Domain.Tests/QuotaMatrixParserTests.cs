using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Domain.Tests;

public class QuotaMatrixParserTests
{
    // ================= The shipped matrix (config/quota-matrix.yaml) =================

    private static readonly Lazy<QuotaMatrix> Shipped = new(() => QuotaMatrixParser.Parse(File.ReadAllText(ShippedMatrixPath())));

    private static string ShippedMatrixPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TenantQuota.sln")))
                return Path.Combine(dir.FullName, "config", "quota-matrix.yaml");
        }
        throw new InvalidOperationException($"No folder holding TenantQuota.sln above {AppContext.BaseDirectory}.");
    }

    private static IEnumerable<(string Class, QuotaCell Cell)> Row(string tier) =>
        Shipped.Value.OperationClasses.Select(c => (c.Name, Shipped.Value.Cell(tier, c.Name)));

    [Fact]
    public void Shipped_matrix_has_exactly_the_contract_tiers_in_order()
    {
        Assert.Equal(["free", "pro", "team", "enterprise"], Shipped.Value.Tiers);
    }

    [Fact]
    public void Shipped_matrix_has_at_least_four_operation_classes()
    {
        Assert.True(Shipped.Value.OperationClasses.Count >= 4, $"only {Shipped.Value.OperationClasses.Count} classes");
    }

    [Theory]
    [InlineData(OverQuotaAction.Block)]
    [InlineData(OverQuotaAction.Degrade)]
    [InlineData(OverQuotaAction.Overage)]
    [InlineData(OverQuotaAction.Warn)]
    public void Shipped_matrix_uses_every_over_quota_action_at_least_once(OverQuotaAction action)
    {
        Assert.Contains(Shipped.Value.Tiers.SelectMany(Row), x => x.Cell.OverQuota == action);
    }

    [Fact]
    public void Shipped_free_tier_has_a_block_class_with_hard_limit_at_most_100()
    {
        Assert.Contains(Row("free"), x => x.Cell.OverQuota == OverQuotaAction.Block && x.Cell.HardLimit <= 100);
    }

    [Fact]
    public void Shipped_free_tier_has_a_degrade_class_with_hard_limit_at_most_100()
    {
        Assert.Contains(Row("free"), x => x.Cell.OverQuota == OverQuotaAction.Degrade && x.Cell.HardLimit <= 100);
    }

    [Fact]
    public void Shipped_pro_tier_has_an_overage_class_with_hard_limit_at_most_500()
    {
        Assert.Contains(Row("pro"), x => x.Cell.OverQuota == OverQuotaAction.Overage && x.Cell.HardLimit <= 500);
    }

    [Fact]
    public void Shipped_enterprise_tier_has_a_class_with_hard_limit_of_at_least_1000()
    {
        Assert.Contains(Row("enterprise"), x => x.Cell.HardLimit >= 1000);
    }

    [Fact]
    public void Shipped_free_summaries_cell_matches_the_contract_example()
    {
        // API-v1.md, GET /v1/plans: free/summaries is soft 7, hard 10, daily, block, no fallback.
        Assert.Equal(new QuotaCell(7, 10, ResetCadence.Daily, OverQuotaAction.Block, null), Shipped.Value.Cell("free", "summaries"));
        Assert.True(Shipped.Value.TryGetClass("summaries", out var summaries));
        Assert.Equal(new OperationClass("summaries", "request", "Summaries"), summaries);
    }

    // ================= A small valid matrix, and one change at a time =================

    private const string BlockSummaries = "{ softLimit: 7, hardLimit: 10, reset: daily, overQuota: block }";

    /// <summary>
    /// A valid two-tier, three-class matrix. Build() lays it out one line per entry:
    /// line 1 version, 2 tiers, 3 operationClasses:, 4-6 the classes, 7 matrix:, 8 free:, 9-11 free's cells
    /// (summaries, drafts, research), 12 pro:, 13-15 pro's cells.
    /// </summary>
    private sealed class MatrixYaml
    {
        public string? Version { get; set; } = "\"2026-01-01\"";
        public List<string> Tiers { get; } = ["free", "pro"];
        public List<string> Classes { get; } =
        [
            "{ name: summaries, unit: request, displayName: Summaries }",
            "{ name: drafts, unit: request }",
            "{ name: research, unit: document, displayName: Deep research }",
        ];
        public Dictionary<string, Dictionary<string, string>?> Rows { get; } = new()
        {
            ["free"] = new()
            {
                ["summaries"] = BlockSummaries,
                ["drafts"] = "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade, fallbackClass: summaries }",
                ["research"] = "{ softLimit: 80, hardLimit: 100, reset: monthly, overQuota: warn }",
            },
            ["pro"] = new()
            {
                ["summaries"] = "{ softLimit: 150, hardLimit: 200, reset: daily, overQuota: overage }",
                ["drafts"] = "{ softLimit: 400, hardLimit: 400, reset: weekly, overQuota: block }",
                ["research"] = "{ softLimit: 0, hardLimit: 0, reset: monthly, overQuota: degrade, fallbackClass: drafts }",
            },
        };

        public string Build()
        {
            var lines = new List<string>();
            if (Version is not null) lines.Add($"version: {Version}");
            lines.Add($"tiers: [{string.Join(", ", Tiers)}]");
            lines.Add("operationClasses:");
            lines.AddRange(Classes.Select(c => $"  - {c}"));
            lines.Add("matrix:");
            foreach (var (tier, row) in Rows)
            {
                if (row is null)
                {
                    lines.Add($"  {tier}: ~");
                    continue;
                }
                lines.Add($"  {tier}:");
                lines.AddRange(row.Select(cell => $"    {cell.Key}: {cell.Value}"));
            }
            return string.Join("\n", lines) + "\n";
        }
    }

    private static MatrixYaml Valid() => new();

    private static IReadOnlyList<string> ErrorsOf(MatrixYaml yaml) => ErrorsOf(yaml.Build());

    private static IReadOnlyList<string> ErrorsOf(string yaml) =>
        Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(yaml)).Errors;

    [Fact]
    public void Small_valid_matrix_parses_into_the_cells_it_declares()
    {
        var matrix = QuotaMatrixParser.Parse(Valid().Build());

        Assert.Equal("2026-01-01", matrix.Version);
        Assert.Equal(["free", "pro"], matrix.Tiers);
        Assert.Equal(
            [
                new OperationClass("summaries", "request", "Summaries"),
                new OperationClass("drafts", "request", "drafts"), // no displayName: the name stands in
                new OperationClass("research", "document", "Deep research"),
            ],
            matrix.OperationClasses);
        Assert.Equal(new QuotaCell(7, 10, ResetCadence.Daily, OverQuotaAction.Block, null), matrix.Cell("free", "summaries"));
        Assert.Equal(new QuotaCell(15, 20, ResetCadence.Daily, OverQuotaAction.Degrade, "summaries"), matrix.Cell("free", "drafts"));
        Assert.Equal(new QuotaCell(80, 100, ResetCadence.Monthly, OverQuotaAction.Warn, null), matrix.Cell("free", "research"));
        Assert.Equal(new QuotaCell(150, 200, ResetCadence.Daily, OverQuotaAction.Overage, null), matrix.Cell("pro", "summaries"));
        Assert.Equal(new QuotaCell(400, 400, ResetCadence.Weekly, OverQuotaAction.Block, null), matrix.Cell("pro", "drafts"));
        Assert.Equal(new QuotaCell(0, 0, ResetCadence.Monthly, OverQuotaAction.Degrade, "drafts"), matrix.Cell("pro", "research"));
    }

    [Theory]
    // a degrade chain that ends (research -> drafts -> summaries) is fine
    [InlineData("free", "research", "{ softLimit: 2, hardLimit: 3, reset: weekly, overQuota: degrade, fallbackClass: drafts }", 2, 3)]
    // the largest limit allowed
    [InlineData("free", "research", "{ softLimit: 0, hardLimit: 1000000000000, reset: monthly, overQuota: warn }", 0, 1000000000000)]
    // an empty fallbackClass on a non-degrade cell counts as none
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, reset: daily, overQuota: block, fallbackClass: '' }", 7, 10)]
    // a quoted number is still a number
    [InlineData("free", "summaries", "{ softLimit: '7', hardLimit: \"10\", reset: daily, overQuota: block }", 7, 10)]
    public void Accepts_edge_values_that_are_still_valid(string tier, string operationClass, string cell, long soft, long hard)
    {
        var yaml = Valid();
        yaml.Rows[tier]![operationClass] = cell;

        var parsed = QuotaMatrixParser.Parse(yaml.Build()).Cell(tier, operationClass);

        Assert.Equal(soft, parsed.SoftLimit);
        Assert.Equal(hard, parsed.HardLimit);
    }

    // ---- One bad cell: exactly one error, naming tier, class and field. ----

    [Theory]
    // limits
    [InlineData("free", "summaries", "{ softLimit: 11, hardLimit: 10, reset: daily, overQuota: block }", "softLimit", "11 is above hardLimit 10")]
    [InlineData("pro", "drafts", "{ softLimit: 401, hardLimit: 400, reset: weekly, overQuota: block }", "softLimit", "401 is above hardLimit 400")]
    [InlineData("free", "summaries", "{ softLimit: -1, hardLimit: 10, reset: daily, overQuota: block }", "softLimit", "'-1' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: -10, reset: daily, overQuota: block }", "hardLimit", "'-10' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: ten, reset: daily, overQuota: block }", "hardLimit", "'ten' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: seven, hardLimit: 10, reset: daily, overQuota: block }", "softLimit", "'seven' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10.5, reset: daily, overQuota: block }", "hardLimit", "'10.5' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: 7.0, hardLimit: 10, reset: daily, overQuota: block }", "softLimit", "'7.0' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 1e3, reset: daily, overQuota: block }", "hardLimit", "'1e3' is not a whole number")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 1000000000001, reset: daily, overQuota: block }", "hardLimit", "'1000000000001' is not a whole number between 0 and 1000000000000")]
    [InlineData("free", "summaries", "{ softLimit: 7, reset: daily, overQuota: block }", "hardLimit", "required")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: ~, reset: daily, overQuota: block }", "hardLimit", "required")]
    [InlineData("free", "summaries", "{ hardLimit: 10, reset: daily, overQuota: block }", "softLimit", "required")]
    // reset
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, reset: hourly, overQuota: block }", "reset", "'hourly' is not one of daily, weekly, monthly")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, reset: Daily, overQuota: block }", "reset", "'Daily' is not one of daily, weekly, monthly")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, overQuota: block }", "reset", "is not one of daily, weekly, monthly")]
    // overQuota
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, reset: daily, overQuota: throttle }", "overQuota", "'throttle' is not one of block, degrade, overage, warn")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, reset: daily }", "overQuota", "is not one of block, degrade, overage, warn")]
    // fallbackClass
    [InlineData("free", "drafts", "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade }", "fallbackClass", "required when overQuota is 'degrade'")]
    [InlineData("free", "drafts", "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade, fallbackClass: '' }", "fallbackClass", "required when overQuota is 'degrade'")]
    [InlineData("free", "drafts", "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade, fallbackClass: podcasts }", "fallbackClass", "'podcasts' is not a declared operation class")]
    [InlineData("free", "drafts", "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade, fallbackClass: drafts }", "fallbackClass", "cannot fall back to itself")]
    [InlineData("free", "summaries", "{ softLimit: 7, hardLimit: 10, reset: daily, overQuota: block, fallbackClass: drafts }", "fallbackClass", "only allowed when overQuota is 'degrade'")]
    [InlineData("pro", "summaries", "{ softLimit: 150, hardLimit: 200, reset: daily, overQuota: overage, fallbackClass: drafts }", "fallbackClass", "only allowed when overQuota is 'degrade'")]
    [InlineData("free", "research", "{ softLimit: 80, hardLimit: 100, reset: monthly, overQuota: warn, fallbackClass: drafts }", "fallbackClass", "only allowed when overQuota is 'degrade'")]
    public void Rejects_a_bad_cell_with_one_message_naming_tier_class_and_field(
        string tier, string operationClass, string cell, string field, string detail)
    {
        var yaml = Valid();
        yaml.Rows[tier]![operationClass] = cell;

        var error = Assert.Single(ErrorsOf(yaml));

        Assert.Contains($"tier '{tier}'", error);
        Assert.Contains($"class '{operationClass}'", error);
        Assert.Contains($"field '{field}'", error);
        Assert.Contains(detail, error);
    }

    [Fact]
    public void Rejects_a_degrade_cycle_naming_each_class_on_the_loop()
    {
        // free: drafts already degrades to summaries; make summaries degrade to drafts.
        var yaml = Valid();
        yaml.Rows["free"]!["summaries"] = "{ softLimit: 7, hardLimit: 10, reset: daily, overQuota: degrade, fallbackClass: drafts }";

        var errors = ErrorsOf(yaml);

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("tier 'free', class 'summaries', field 'fallbackClass'") && e.Contains("loops back"));
        Assert.Contains(errors, e => e.Contains("tier 'free', class 'drafts', field 'fallbackClass'") && e.Contains("loops back"));
    }

    [Fact]
    public void Rejects_a_three_class_degrade_cycle()
    {
        // pro: research -> drafts already; add drafts -> summaries -> research.
        var yaml = Valid();
        yaml.Rows["pro"]!["drafts"] = "{ softLimit: 400, hardLimit: 400, reset: weekly, overQuota: degrade, fallbackClass: summaries }";
        yaml.Rows["pro"]!["summaries"] = "{ softLimit: 150, hardLimit: 200, reset: daily, overQuota: degrade, fallbackClass: research }";

        var errors = ErrorsOf(yaml);

        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Contains("tier 'pro'", e));
        Assert.All(errors, e => Assert.Contains("field 'fallbackClass'", e));
        Assert.Contains(errors, e => e.Contains("class 'summaries'"));
        Assert.Contains(errors, e => e.Contains("class 'drafts'"));
        Assert.Contains(errors, e => e.Contains("class 'research'"));
    }

    // ---- The shape of the matrix ----

    [Fact]
    public void Rejects_a_tier_without_a_row()
    {
        var yaml = Valid();
        yaml.Rows.Remove("pro");

        Assert.Equal(["tier 'pro', field 'matrix': the tier has no row"], ErrorsOf(yaml));
    }

    [Fact]
    public void Rejects_a_tier_whose_row_is_empty()
    {
        var yaml = Valid();
        yaml.Rows["pro"] = null;

        Assert.Equal(["tier 'pro', field 'matrix': the tier has no row"], ErrorsOf(yaml));
    }

    [Fact]
    public void Rejects_a_tier_row_missing_a_class()
    {
        var yaml = Valid();
        yaml.Rows["pro"]!.Remove("research");

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Contains("tier 'pro', class 'research'", error);
        Assert.Contains("missing cell", error);
    }

    [Fact]
    public void Rejects_a_cell_left_empty()
    {
        var yaml = Valid();
        yaml.Rows["free"]!["research"] = "~";

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Contains("tier 'free', class 'research'", error);
        Assert.Contains("missing cell", error);
    }

    [Fact]
    public void Rejects_a_row_with_an_undeclared_class()
    {
        var yaml = Valid();
        yaml.Rows["free"]!["podcasts"] = BlockSummaries;

        Assert.Equal(["tier 'free', class 'podcasts', field 'matrix': not a declared operation class"], ErrorsOf(yaml));
    }

    [Fact]
    public void Rejects_a_matrix_tier_not_listed_in_tiers()
    {
        var yaml = Valid();
        yaml.Rows["gold"] = new(yaml.Rows["pro"]!);

        Assert.Equal(["tier 'gold', field 'matrix': not listed in 'tiers'"], ErrorsOf(yaml));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("\"\"")]
    [InlineData("~")]
    [InlineData("\"  \"")]
    public void Rejects_a_matrix_without_a_version(string? version)
    {
        var yaml = Valid();
        yaml.Version = version;

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Contains("field 'version'", error);
        Assert.Contains("required", error);
    }

    [Fact]
    public void Rejects_a_class_declared_twice()
    {
        var yaml = Valid();
        yaml.Classes.Add("{ name: drafts, unit: request, displayName: Drafts again }");

        Assert.Equal(["class 'drafts', field 'operationClasses': listed more than once"], ErrorsOf(yaml));
    }

    [Fact]
    public void Rejects_a_tier_listed_twice()
    {
        var yaml = Valid();
        yaml.Tiers.Add("free");

        Assert.Equal(["tier 'free', field 'tiers': listed more than once"], ErrorsOf(yaml));
    }

    [Fact]
    public void Rejects_a_class_without_a_unit()
    {
        var yaml = Valid();
        yaml.Classes[1] = "{ name: drafts }";

        Assert.Equal(["class 'drafts', field 'operationClasses.unit': required (for example 'request')"], ErrorsOf(yaml));
    }

    [Fact]
    public void Rejects_a_tier_name_that_is_not_lower_case()
    {
        var yaml = Valid();
        yaml.Tiers[1] = "Pro";
        yaml.Rows["Pro"] = yaml.Rows["pro"];
        yaml.Rows.Remove("pro");

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Contains("tier 'Pro', field 'tiers'", error);
    }

    [Fact]
    public void Rejects_an_empty_file_naming_version_tiers_and_classes()
    {
        var errors = ErrorsOf("");

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("field 'version'"));
        Assert.Contains(errors, e => e.Contains("field 'tiers'"));
        Assert.Contains(errors, e => e.Contains("field 'operationClasses'"));
    }

    [Fact]
    public void Rejects_an_unknown_property_in_a_cell_with_its_line_number()
    {
        // free/drafts is line 10 of the built file (see MatrixYaml).
        var yaml = Valid();
        yaml.Rows["free"]!["drafts"] = "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade, fallbackClass: summaries, colour: red }";

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Contains("line 10", error);
        Assert.Contains("colour", error);
    }

    [Fact]
    public void Rejects_a_misspelt_property_in_a_cell_with_its_line_number()
    {
        // pro/drafts is line 14 of the built file.
        var yaml = Valid();
        yaml.Rows["pro"]!["drafts"] = "{ softLimit: 400, hardlimit: 400, reset: weekly, overQuota: block }";

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Contains("line 14", error);
        Assert.Contains("hardlimit", error);
    }

    [Fact]
    public void Rejects_malformed_yaml_with_its_line_number()
    {
        // an unclosed flow mapping on free/research, line 11
        var yaml = Valid();
        yaml.Rows["free"]!["research"] = "{ softLimit: 80, hardLimit: 100, reset: monthly, overQuota: warn";

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.StartsWith("line 11,", error);
    }

    [Fact]
    public void Reports_every_problem_at_once()
    {
        var yaml = Valid();
        yaml.Version = null;
        yaml.Rows["free"]!["summaries"] = "{ softLimit: 7, hardLimit: 10, reset: hourly, overQuota: block }";
        yaml.Rows["free"]!["drafts"] = "{ softLimit: 15, hardLimit: 20, reset: daily, overQuota: degrade }";
        yaml.Rows["pro"]!["drafts"] = "{ softLimit: 500, hardLimit: 400, reset: weekly, overQuota: throttle }";
        yaml.Rows["pro"]!.Remove("research");

        var errors = ErrorsOf(yaml);

        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.Contains("field 'version'"));
        Assert.Contains(errors, e => e.Contains("tier 'free', class 'summaries', field 'reset'"));
        Assert.Contains(errors, e => e.Contains("tier 'free', class 'drafts', field 'fallbackClass'"));
        Assert.Contains(errors, e => e.Contains("tier 'pro', class 'drafts', field 'softLimit'") && e.Contains("500 is above hardLimit 400"));
        Assert.Contains(errors, e => e.Contains("tier 'pro', class 'drafts', field 'overQuota'"));
        Assert.Contains(errors, e => e.Contains("tier 'pro', class 'research'") && e.Contains("missing cell"));
    }

    [Fact]
    public void Exception_message_lists_every_error()
    {
        var yaml = Valid();
        yaml.Rows["free"]!["summaries"] = "{ softLimit: 7, hardLimit: 10, reset: hourly, overQuota: nope }";

        var e = Assert.Throws<QuotaMatrixException>(() => QuotaMatrixParser.Parse(yaml.Build()));

        Assert.Equal(2, e.Errors.Count);
        Assert.All(e.Errors, error => Assert.Contains(error, e.Message));
    }

    // ================= QuotaMatrix lookups =================

    private static QuotaMatrix Small() => QuotaMatrixParser.Parse(Valid().Build());

    [Theory]
    [InlineData("free", "research", 80, 100, ResetCadence.Monthly, OverQuotaAction.Warn, null)]
    [InlineData("pro", "research", 0, 0, ResetCadence.Monthly, OverQuotaAction.Degrade, "drafts")]
    [InlineData("pro", "drafts", 400, 400, ResetCadence.Weekly, OverQuotaAction.Block, null)]
    public void Cell_returns_the_tier_and_class_cell(
        string tier, string operationClass, long soft, long hard, ResetCadence reset, OverQuotaAction action, string? fallback)
    {
        Assert.Equal(new QuotaCell(soft, hard, reset, action, fallback), Small().Cell(tier, operationClass));
    }

    [Theory]
    [InlineData("gold", "summaries")]
    [InlineData("free", "podcasts")]
    [InlineData("Free", "summaries")]
    [InlineData("free", "Summaries")]
    public void Cell_throws_for_an_unknown_tier_or_class(string tier, string operationClass)
    {
        Assert.Throws<KeyNotFoundException>(() => Small().Cell(tier, operationClass));
    }

    [Theory]
    [InlineData("free", true)]
    [InlineData("pro", true)]
    [InlineData("Free", false)]
    [InlineData("gold", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void HasTier_knows_exactly_the_listed_tiers(string? tier, bool expected)
    {
        Assert.Equal(expected, Small().HasTier(tier));
    }

    [Theory]
    [InlineData("summaries", "request", "Summaries")]
    [InlineData("drafts", "request", "drafts")]
    [InlineData("research", "document", "Deep research")]
    public void TryGetClass_finds_a_declared_class(string name, string unit, string displayName)
    {
        Assert.True(Small().TryGetClass(name, out var operationClass));
        Assert.Equal(new OperationClass(name, unit, displayName), operationClass);
    }

    [Theory]
    [InlineData("podcasts")]
    [InlineData("Summaries")]
    [InlineData("")]
    [InlineData(null)]
    public void TryGetClass_does_not_find_an_undeclared_class(string? name)
    {
        Assert.False(Small().TryGetClass(name, out _));
    }
}
