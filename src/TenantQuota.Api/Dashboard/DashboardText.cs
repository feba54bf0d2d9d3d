using System.Globalization;

namespace TenantQuota.Api.Dashboard;

/// <summary>
/// Every word the dashboard shows, one instance per language, and how numbers and dates are written in it. The
/// hosts run with invariant globalization (no ICU), so separators and month names are ours, not CultureInfo's.
/// Validation messages come from the API's own handlers and stay in English.
/// </summary>
public sealed class DashboardText
{
    public required string Lang { get; init; }
    public required string OtherLang { get; init; }
    public required string OtherLangName { get; init; }
    public required string Title { get; init; }
    public required string TenantLabel { get; init; }
    public required string SignOut { get; init; }
    public required string FixErrors { get; init; }
    public required string Save { get; init; }
    public required string Edit { get; init; }

    public required string BudgetHeading { get; init; }
    public required string NoBudget { get; init; }
    public required string Spent { get; init; }
    public required string Held { get; init; }
    public required string Remaining { get; init; }
    public required string Limit { get; init; }
    public required string ResetsAt { get; init; }
    public required string Projected { get; init; }
    public required string ProjectedBand { get; init; }
    public required string OverrunOn { get; init; }
    public required string NoOverrun { get; init; }
    public required string UsageChartTitle { get; init; }
    public required string UsageChartSummary { get; init; } // {0} used {1} limit {2} projected {3} low {4} high
    public required string UsageChartNoForecast { get; init; } // {0} used {1} limit
    public required string Day { get; init; }
    public required string Cumulative { get; init; }
    public required string DailyFromRollups { get; init; }

    public required string DepartmentsHeading { get; init; }
    public required string NoDepartments { get; init; }
    public required string Department { get; init; }
    public required string Priority { get; init; }
    public required string Thresholds { get; init; }
    public required string NoBudgetShort { get; init; }
    public required string DepartmentChartTitle { get; init; }
    public required string DepartmentFormHeading { get; init; }
    public required string DepartmentId { get; init; }
    public required string Name { get; init; }
    public required string Unit { get; init; }
    public required string Period { get; init; }
    public required string OverQuota { get; init; }
    public required string FallbackClass { get; init; }
    public required string FallbackModel { get; init; }
    public required string ThresholdsHint { get; init; }
    public required string LimitHint { get; init; }
    public required string TenantBudgetFormHeading { get; init; }
    public required string None { get; init; }

    public required string TopPeopleHeading { get; init; }
    public required string TopModelsHeading { get; init; }
    public required string Person { get; init; }
    public required string Model { get; init; }
    public required string Units { get; init; }
    public required string Cost { get; init; }
    public required string NoUsage { get; init; }
    public required string NoModel { get; init; }

    public required string AlertsHeading { get; init; }
    public required string NoAlerts { get; init; }
    public required string Type { get; init; }
    public required string Level { get; init; }
    public required string Owner { get; init; }
    public required string Threshold { get; init; }
    public required string UsedOfLimit { get; init; }
    public required string When { get; init; }

    public required string HoldsHeading { get; init; }
    public required string NoHolds { get; init; }
    public required string HoldsIntro { get; init; }
    public required string Since { get; init; }
    public required string Action { get; init; }
    public required string Resume { get; init; }
    public required string HoldCleared { get; init; }

    public required string AuditHeading { get; init; }
    public required string NoAudit { get; init; }
    public required string Who { get; init; }
    public required string Kind { get; init; }
    public required string What { get; init; }

    public required string UxHeading { get; init; }
    public required string NoUx { get; init; }
    public required string OperationClass { get; init; }
    public required string People { get; init; }
    public required string SoftLimitRate { get; init; }
    public required string HardLimitRate { get; init; }
    public required string UpgradeClickThrough { get; init; }

    public required string WebhooksHeading { get; init; }
    public required string NoWebhooks { get; init; }
    public required string Url { get; init; }
    public required string Events { get; init; }
    public required string Created { get; init; }
    public required string Delete { get; init; }
    public required string AddWebhook { get; init; }
    public required string WebhookCreatedHeading { get; init; }
    public required string WebhookSecretOnce { get; init; }
    public required string Secret { get; init; }
    public required string BackToDashboard { get; init; }

    public required string ChargebackHeading { get; init; }
    public required string DownloadChargeback { get; init; } // {0} month

    public required string SavedDepartment { get; init; }
    public required string SavedBudget { get; init; }
    public required string DeletedWebhook { get; init; }

    public required string ForbiddenHeading { get; init; }
    public required string ForbiddenBody { get; init; }
    public required string SignedOutHeading { get; init; }
    public required string SignedOutBody { get; init; }
    public required string SignInAgain { get; init; }
    public required string SessionEndedHeading { get; init; }
    public required string SessionEndedBody { get; init; }
    public required string SignInFailedHeading { get; init; }
    public required string SignInFailedBody { get; init; }
    public required string SigningIn { get; init; }
    public required string Continue { get; init; }
    public required string RefusedHeading { get; init; }
    public required string RefusedBody { get; init; }

    public required IReadOnlyDictionary<string, string> Words { get; init; } // wire names: priorities, periods, actions
    public required string[] Months { get; init; }
    public required NumberFormatInfo Numbers { get; init; }
    public required string DayFormat { get; init; } // {0} day {1} month {2} year
    public required string PercentFormat { get; init; }

    public string Word(string wireName) => Words.TryGetValue(wireName, out var word) ? word : wireName;

    public string Number(decimal value, int decimals = 0) => value.ToString("N" + decimals, Numbers);

    /// <summary>An amount of a budget's unit: dollars with cents, other units whole (with up to two decimals when not whole).</summary>
    public string Amount(decimal value, string unit) => unit == "usd"
        ? string.Format(Numbers, Lang == "es" ? "{0} US$" : "${0}", Number(value, 2))
        : $"{Number(value, value == decimal.Truncate(value) ? 0 : 2)} {unit}";

    public string Percent(double? rate)
    {
        if (rate is not { } r) return "—";
        var percent = (decimal)Math.Round(r * 100, 1);
        return string.Format(Numbers, PercentFormat, Number(percent, percent == decimal.Truncate(percent) ? 0 : 1));
    }

    public string Date(DateOnly day) => string.Format(DayFormat, day.Day, Months[day.Month - 1], day.Year);

    public string DateTime(DateTime utc) => $"{Date(DateOnly.FromDateTime(utc))}, {utc:HH:mm} UTC";

    public static DashboardText For(string language) => language == "es" ? Es : En;

    public static readonly DashboardText En = new()
    {
        Lang = "en", OtherLang = "es", OtherLangName = "Español", Title = "TenantQuota dashboard", TenantLabel = "Tenant", SignOut = "Sign out",
        FixErrors = "Please correct the fields marked below; nothing was saved.", Save = "Save", Edit = "Edit",
        BudgetHeading = "This period's budget", NoBudget = "Your tenant has no budget yet. Set one with the form below.",
        Spent = "Spent", Held = "Held", Remaining = "Remaining", Limit = "Limit", ResetsAt = "Resets at", Projected = "Projected at period end",
        ProjectedBand = "80 % band", OverrunOn = "Reaches the limit on", NoOverrun = "not within the period",
        UsageChartTitle = "Cumulative usage per day, the limit and the forecast",
        UsageChartSummary = "{0} used of {1}. Forecast for the period's end: {2} (between {3} and {4}).",
        UsageChartNoForecast = "{0} used of {1}.", Day = "Day", Cumulative = "Used by the end of the day",
        DailyFromRollups = "Daily figures come from the hourly usage rollups and may lag the totals above by a few minutes.",
        DepartmentsHeading = "Departments", NoDepartments = "No departments yet.", Department = "Department", Priority = "Priority",
        Thresholds = "Alert thresholds", NoBudgetShort = "no budget", DepartmentChartTitle = "Department budgets: spent and held against the limit",
        DepartmentFormHeading = "Create or change a department", DepartmentId = "Department id", Name = "Name", Unit = "Unit", Period = "Period",
        OverQuota = "Over the limit", FallbackClass = "Fallback class (for degrade)", FallbackModel = "Fallback model (for degrade)", ThresholdsHint = "Shares of the limit, e.g. 0.7, 0.9, 1.0",
        LimitHint = "Leave empty for a department without a budget.", TenantBudgetFormHeading = "Tenant budget and alert thresholds", None = "none",
        TopPeopleHeading = "Top people this period", TopModelsHeading = "Top models this period", Person = "Person", Model = "Model",
        Units = "Units", Cost = "Cost (USD)", NoUsage = "No usage yet this period.", NoModel = "(no model)",
        AlertsHeading = "Alerts", NoAlerts = "No alerts yet.", Type = "Type", Level = "Level", Owner = "Owner", Threshold = "Threshold",
        UsedOfLimit = "Used / limit", When = "When",
        HoldsHeading = "Held after a usage spike", NoHolds = "Nobody is held.",
        HoldsIntro = "The anomaly policy holds a person or a department whose hourly use spiked, until you resume them.",
        Since = "Since", Action = "Action", Resume = "Resume", HoldCleared = "Hold lifted: their requests are decided as before.",
        AuditHeading = "Audit log", NoAudit = "No changes recorded yet.", Who = "Who", Kind = "Kind", What = "What",
        UxHeading = "How the quota messages work (last 30 days)", NoUx = "No end-user activity recorded in the last 30 days.",
        OperationClass = "Operation class", People = "People", SoftLimitRate = "Went past the soft limit", HardLimitRate = "Hit the hard limit",
        UpgradeClickThrough = "Upgrade click-through",
        WebhooksHeading = "Webhook endpoints", NoWebhooks = "No webhook endpoints yet.", Url = "URL", Events = "Events", Created = "Created",
        Delete = "Delete", AddWebhook = "Add a webhook endpoint", WebhookCreatedHeading = "Webhook endpoint added",
        WebhookSecretOnce = "Keep this secret now: it signs every delivery (Tq-Signature) and is shown only this once.", Secret = "Secret",
        BackToDashboard = "Back to the dashboard",
        ChargebackHeading = "Chargeback", DownloadChargeback = "Download the chargeback CSV for {0}",
        SavedDepartment = "Department saved.", SavedBudget = "Budget saved.", DeletedWebhook = "Webhook endpoint deleted.",
        ForbiddenHeading = "This account is not a tenant administrator",
        ForbiddenBody = "The dashboard is for tenant administrators. Sign in with an administrator account of your tenant.",
        SignedOutHeading = "You are signed out of the dashboard",
        SignedOutBody = "Your session with the identity provider may still be open: on a shared computer, close the browser.",
        SignInAgain = "Sign in again", SessionEndedHeading = "Your session has ended",
        SessionEndedBody = "Nothing was changed. Open the dashboard again to sign in, then repeat the change.",
        SignInFailedHeading = "Sign-in could not be completed", SignInFailedBody = "The sign-in answer did not match this browser's request, or it has expired. Start again.",
        SigningIn = "Signing you in…", Continue = "Continue",
        RefusedHeading = "Request refused", RefusedBody = "Dashboard changes are accepted only from the dashboard's own pages.",
        Words = new Dictionary<string, string>
        {
            ["high"] = "high", ["normal"] = "normal", ["low"] = "low", ["daily"] = "daily", ["weekly"] = "weekly", ["monthly"] = "monthly",
            ["block"] = "block", ["degrade"] = "degrade", ["warn"] = "warn", ["tenant"] = "tenant", ["department"] = "department", ["subject"] = "person",
        },
        Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        Numbers = new NumberFormatInfo { NumberDecimalSeparator = ".", NumberGroupSeparator = "," },
        DayFormat = "{1} {0}, {2}", PercentFormat = "{0}%",
    };

    public static readonly DashboardText Es = new()
    {
        Lang = "es", OtherLang = "en", OtherLangName = "English", Title = "Panel de TenantQuota", TenantLabel = "Organización", SignOut = "Cerrar sesión",
        FixErrors = "Corrige los campos marcados; no se ha guardado nada.", Save = "Guardar", Edit = "Editar",
        BudgetHeading = "Presupuesto de este periodo", NoBudget = "Tu organización aún no tiene presupuesto. Fíjalo con el formulario de abajo.",
        Spent = "Gastado", Held = "Reservado", Remaining = "Disponible", Limit = "Límite", ResetsAt = "Se renueva", Projected = "Previsión al final del periodo",
        ProjectedBand = "banda del 80 %", OverrunOn = "Alcanza el límite el", NoOverrun = "no dentro del periodo",
        UsageChartTitle = "Uso acumulado por día, el límite y la previsión",
        UsageChartSummary = "{0} usados de {1}. Previsión al final del periodo: {2} (entre {3} y {4}).",
        UsageChartNoForecast = "{0} usados de {1}.", Day = "Día", Cumulative = "Usado al final del día",
        DailyFromRollups = "Las cifras diarias salen de los resúmenes horarios de uso y pueden ir unos minutos por detrás de los totales.",
        DepartmentsHeading = "Departamentos", NoDepartments = "Aún no hay departamentos.", Department = "Departamento", Priority = "Prioridad",
        Thresholds = "Umbrales de alerta", NoBudgetShort = "sin presupuesto", DepartmentChartTitle = "Presupuestos de los departamentos: gastado y reservado frente al límite",
        DepartmentFormHeading = "Crear o cambiar un departamento", DepartmentId = "Identificador del departamento", Name = "Nombre", Unit = "Unidad",
        Period = "Periodo", OverQuota = "Al superar el límite", FallbackClass = "Clase alternativa (para degradar)", FallbackModel = "Modelo alternativo (para degradar)",
        ThresholdsHint = "Fracciones del límite, p. ej. 0.7, 0.9, 1.0", LimitHint = "Déjalo vacío para un departamento sin presupuesto.",
        TenantBudgetFormHeading = "Presupuesto de la organización y umbrales de alerta", None = "ninguno",
        TopPeopleHeading = "Personas con más uso este periodo", TopModelsHeading = "Modelos más usados este periodo", Person = "Persona", Model = "Modelo",
        Units = "Unidades", Cost = "Coste (USD)", NoUsage = "Aún no hay uso en este periodo.", NoModel = "(sin modelo)",
        AlertsHeading = "Alertas", NoAlerts = "Aún no hay alertas.", Type = "Tipo", Level = "Nivel", Owner = "Titular", Threshold = "Umbral",
        UsedOfLimit = "Usado / límite", When = "Cuándo",
        HoldsHeading = "En pausa por un pico de uso", NoHolds = "No hay nadie en pausa.",
        HoldsIntro = "La política de anomalías pausa a una persona o un departamento cuyo uso por hora se disparó, hasta que lo reanudes.",
        Since = "Desde", Action = "Acción", Resume = "Reanudar", HoldCleared = "Pausa levantada: sus peticiones se deciden como antes.",
        AuditHeading = "Registro de auditoría", NoAudit = "Aún no hay cambios registrados.", Who = "Quién", Kind = "Tipo", What = "Qué",
        UxHeading = "Cómo funcionan los mensajes de cuota (últimos 30 días)", NoUx = "No hay actividad de usuarios en los últimos 30 días.",
        OperationClass = "Clase de operación", People = "Personas", SoftLimitRate = "Superaron el límite suave", HardLimitRate = "Llegaron al límite",
        UpgradeClickThrough = "Clics en mejorar el plan",
        WebhooksHeading = "Endpoints de webhook", NoWebhooks = "Aún no hay endpoints de webhook.", Url = "URL", Events = "Eventos", Created = "Creado",
        Delete = "Eliminar", AddWebhook = "Añadir un endpoint de webhook", WebhookCreatedHeading = "Endpoint de webhook añadido",
        WebhookSecretOnce = "Guarda ahora este secreto: firma cada entrega (Tq-Signature) y solo se muestra esta vez.", Secret = "Secreto",
        BackToDashboard = "Volver al panel",
        ChargebackHeading = "Imputación de costes", DownloadChargeback = "Descargar el CSV de imputación de {0}",
        SavedDepartment = "Departamento guardado.", SavedBudget = "Presupuesto guardado.", DeletedWebhook = "Endpoint de webhook eliminado.",
        ForbiddenHeading = "Esta cuenta no administra ninguna organización",
        ForbiddenBody = "El panel es para administradores de la organización. Inicia sesión con una cuenta de administrador.",
        SignedOutHeading = "Has cerrado la sesión del panel",
        SignedOutBody = "Tu sesión con el proveedor de identidad puede seguir abierta: en un ordenador compartido, cierra el navegador.",
        SignInAgain = "Volver a iniciar sesión", SessionEndedHeading = "Tu sesión ha terminado",
        SessionEndedBody = "No se ha cambiado nada. Abre el panel de nuevo para iniciar sesión y repite el cambio.",
        SignInFailedHeading = "No se pudo completar el inicio de sesión",
        SignInFailedBody = "La respuesta del inicio de sesión no corresponde a la petición de este navegador o ha caducado. Empieza de nuevo.",
        SigningIn = "Iniciando sesión…", Continue = "Continuar",
        RefusedHeading = "Petición rechazada", RefusedBody = "Los cambios del panel solo se aceptan desde las propias páginas del panel.",
        Words = new Dictionary<string, string>
        {
            ["high"] = "alta", ["normal"] = "normal", ["low"] = "baja", ["daily"] = "diario", ["weekly"] = "semanal", ["monthly"] = "mensual",
            ["block"] = "bloquear", ["degrade"] = "degradar", ["warn"] = "avisar", ["tenant"] = "organización", ["department"] = "departamento", ["subject"] = "persona",
        },
        Months = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
        Numbers = new NumberFormatInfo { NumberDecimalSeparator = ",", NumberGroupSeparator = "." },
        DayFormat = "{0} {1} {2}", PercentFormat = "{0} %",
    };
}
