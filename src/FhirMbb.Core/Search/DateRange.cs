namespace FhirMbb.Core.Search;

/// <summary>
/// A FHIR date, dateTime or instant as the half-open interval [Start, End) of unix milliseconds it
/// covers: "2015" is the whole year, "2015-06-01T10:00" one minute. Times without a zone are read as UTC.
/// </summary>
public readonly record struct DateRange(long Start, long End)
{
    public const long Unbounded = long.MaxValue;
    public const long UnboundedStart = long.MinValue;

    public static bool TryParse(string? text, out DateRange range) => TryParse(text.AsSpan(), out range);

    /// <summary>
    /// Reads yyyy, yyyy-MM, yyyy-MM-dd, or a date with Thh:mm, :ss, .fff (1-9 digits) and a zone (Z or +hh:mm / -hh:mm),
    /// surrounded by white space or not; anything else, or a field out of range, is refused.
    /// </summary>
    /// <remarks>
    /// Every date an indexed resource holds comes through here, so it reads the characters in place: no regular
    /// expression, no match objects, no substrings. The interval is counted in milliseconds rather than built with
    /// <see cref="DateTimeOffset"/>, which cannot hold the end of 9999 or a start its zone moves before year 1.
    /// </remarks>
    public static bool TryParse(ReadOnlySpan<char> text, out DateRange range)
    {
        range = default;
        var s = text.Trim();
        if (!TwoDigits(s, 0, out var century) || !TwoDigits(s, 2, out var yy)) return false;
        var year = century * 100 + yy;
        int month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
        long offset = 0;
        var length = Precision.Year;
        var i = 4;
        if (i < s.Length)
        {
            if (s[i] != '-' || !TwoDigits(s, i + 1, out month)) return false;
            i += 3;
            length = Precision.Month;
            if (i < s.Length)
            {
                if (s[i] != '-' || !TwoDigits(s, i + 1, out day)) return false;
                i += 3;
                length = Precision.Day;
                if (i < s.Length)
                {
                    if (s[i] != 'T' || !TwoDigits(s, i + 1, out hour) || !At(s, i + 3, ':') || !TwoDigits(s, i + 4, out minute)) return false;
                    i += 6;
                    length = Precision.Minute;
                    if (At(s, i, ':'))
                    {
                        if (!TwoDigits(s, i + 1, out second)) return false;
                        i += 3;
                        length = Precision.Second;
                        if (At(s, i, '.'))
                        {
                            var from = ++i;
                            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                            if (i - from is < 1 or > 9) return false;
                            // Milliseconds are the first three digits, as many as there are, scaled.
                            for (var k = 0; k < 3; k++) millis = millis * 10 + (from + k < i ? s[from + k] - '0' : 0);
                            length = Precision.Millisecond;
                        }
                    }
                    if (At(s, i, 'Z')) i++;
                    else if (At(s, i, '+') || At(s, i, '-'))
                    {
                        if (!TwoDigits(s, i + 1, out var zh) || !At(s, i + 3, ':') || !TwoDigits(s, i + 4, out var zm)) return false;
                        // A zone beyond +/-14:00 is none that exists (DateTimeOffset refused it too).
                        if (zh > 14 || zm > 59 || zh == 14 && zm != 0) return false;
                        offset = (zh * 60L + zm) * MsPerMinute * (s[i] == '-' ? -1 : 1);
                        i += 6;
                    }
                    if (i != s.Length) return false;
                }
            }
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        var start = (new DateTime(year, month, day, hour, minute, second, millis, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks)
            / TimeSpan.TicksPerMillisecond - offset;
        var span = length switch
        {
            Precision.Year => (DateTime.IsLeapYear(year) ? 366L : 365L) * MsPerDay,
            Precision.Month => DateTime.DaysInMonth(year, month) * MsPerDay,
            Precision.Day => MsPerDay,
            Precision.Minute => MsPerMinute,
            Precision.Second => 1000L,
            _ => 1L,
        };
        range = new DateRange(start, start + span);
        return true;
    }

    private const long MsPerMinute = 60_000L;
    private const long MsPerDay = 86_400_000L;

    private enum Precision { Year, Month, Day, Minute, Second, Millisecond }

    private static bool At(ReadOnlySpan<char> s, int i, char c) => i < s.Length && s[i] == c;

    private static bool TwoDigits(ReadOnlySpan<char> s, int i, out int value)
    {
        value = 0;
        if (i + 1 >= s.Length || !char.IsAsciiDigit(s[i]) || !char.IsAsciiDigit(s[i + 1])) return false;
        value = (s[i] - '0') * 10 + (s[i + 1] - '0');
        return true;
    }

    public static DateRange Instant(DateTimeOffset at)
    {
        var ms = at.ToUnixTimeMilliseconds();
        return new DateRange(ms, ms + 1);
    }
}
