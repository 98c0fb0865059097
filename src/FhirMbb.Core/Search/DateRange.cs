using System.Globalization;
using System.Text.RegularExpressions;

namespace FhirMbb.Core.Search;

/// <summary>
/// A FHIR date, dateTime or instant as the half-open interval [Start, End) of unix milliseconds it
/// covers: "2015" is the whole year, "2015-06-01T10:00" one minute. Times without a zone are read as UTC.
/// </summary>
public readonly partial record struct DateRange(long Start, long End)
{
    public const long Unbounded = long.MaxValue;
    public const long UnboundedStart = long.MinValue;

    public static bool TryParse(string? text, out DateRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = DatePattern().Match(text.Trim());
        if (!m.Success) return false;
        int year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
        int month = m.Groups["M"].Success ? int.Parse(m.Groups["M"].Value, CultureInfo.InvariantCulture) : 1;
        int day = m.Groups["d"].Success ? int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture) : 1;
        int hour = m.Groups["h"].Success ? int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture) : 0;
        int minute = m.Groups["m"].Success ? int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture) : 0;
        int second = m.Groups["s"].Success ? int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture) : 0;
        var fraction = m.Groups["f"].Success ? m.Groups["f"].Value : null;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
            return false;
        if (m.Groups["h"].Success && !m.Groups["d"].Success) return false;

        var offset = TimeSpan.Zero;
        if (m.Groups["z"].Success && m.Groups["z"].Value != "Z")
        {
            var z = m.Groups["z"].Value;
            var sign = z[0] == '-' ? -1 : 1;
            offset = new TimeSpan(int.Parse(z.Substring(1, 2), CultureInfo.InvariantCulture), int.Parse(z.Substring(4, 2), CultureInfo.InvariantCulture), 0) * sign;
        }
        var millis = fraction is null ? 0 : int.Parse((fraction + "00")[..3], CultureInfo.InvariantCulture);
        var start = new DateTimeOffset(year, month, day, hour, minute, second, millis, offset);
        DateTimeOffset end;
        if (fraction is not null) end = start.AddMilliseconds(1);
        else if (m.Groups["s"].Success) end = start.AddSeconds(1);
        else if (m.Groups["m"].Success) end = start.AddMinutes(1);
        else if (m.Groups["d"].Success) end = start.AddDays(1);
        else if (m.Groups["M"].Success) end = start.AddMonths(1);
        else end = start.AddYears(1);
        range = new DateRange(start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
        return true;
    }

    public static DateRange Instant(DateTimeOffset at)
    {
        var ms = at.ToUnixTimeMilliseconds();
        return new DateRange(ms, ms + 1);
    }

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<M>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<m>\d{2})(:(?<s>\d{2})(\.(?<f>\d{1,9}))?)?(?<z>Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex DatePattern();
}
