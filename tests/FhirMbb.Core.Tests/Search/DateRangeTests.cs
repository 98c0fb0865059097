using System.Globalization;
using System.Text.RegularExpressions;
using FhirMbb.Core.Search;

namespace FhirMbb.Core.Tests.Search;

public sealed partial class DateRangeTests
{
    private static long Ms(string instant) => DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    [Theory]
    [InlineData("2015", "2015-01-01T00:00:00Z", "2016-01-01T00:00:00Z")]
    [InlineData("2016-02", "2016-02-01T00:00:00Z", "2016-03-01T00:00:00Z")]
    [InlineData("2016-02-29", "2016-02-29T00:00:00Z", "2016-03-01T00:00:00Z")]
    [InlineData("2016-02-29T10:15", "2016-02-29T10:15:00Z", "2016-02-29T10:16:00Z")]
    [InlineData("2016-02-29T10:15:30+02:00", "2016-02-29T08:15:30Z", "2016-02-29T08:15:31Z")]
    [InlineData("2016-02-29T10:15:30.250Z", "2016-02-29T10:15:30.250Z", "2016-02-29T10:15:30.251Z")]
    public void Partial_dates_cover_their_precision(string text, string start, string end)
    {
        Assert.True(DateRange.TryParse(text, out var range));
        Assert.Equal((Ms(start), Ms(end)), (range.Start, range.End));
    }

    [Theory]
    [InlineData("2015-13")]
    [InlineData("2015-02-30")]
    [InlineData("15")]
    [InlineData("2015-01-01T25:00")]
    [InlineData("today")]
    [InlineData("2015-01-01T10:00+15:00")]
    [InlineData("2015-01-01T10:00+14:30")]
    [InlineData("2015-01-01T10:00:00.")]
    [InlineData("2015-01-01T10:00:00.1234567890")]
    [InlineData("2015-01-01T10:00:00Zx")]
    [InlineData("2015-01-01T10")]
    [InlineData("2015-01-01 10:00")]
    [InlineData("0000")]
    [InlineData("２０１５")]
    [InlineData("")]
    [InlineData("  ")]
    public void Invalid_dates_are_refused(string text) => Assert.False(DateRange.TryParse(text, out _));

    [Theory]
    // DateTimeOffset cannot hold either end: the last year's end, and a start its zone moves before year 1.
    [InlineData("9999", 253370764800000L, 253402300800000L)]
    [InlineData("9999-12-31T23:59:59-05:00", 253402318799000L, 253402318800000L)]
    [InlineData("0001-01-01T00:00+01:00", -62135600400000L, -62135600340000L)]
    [InlineData(" 2016-02-29 ", 1456704000000L, 1456790400000L)]
    [InlineData("2016-02-29T10:15:30.1Z", 1456740930100L, 1456740930101L)]
    [InlineData("2016-02-29T10:15:30.123456789-03:30", 1456753530123L, 1456753530124L)]
    public void The_extremes_of_the_calendar_and_of_precision(string text, long start, long end)
    {
        Assert.True(DateRange.TryParse(text, out var range));
        Assert.Equal((start, end), (range.Start, range.End));
    }

    [Fact]
    public void Reads_what_the_regular_expression_it_replaced_read()
    {
        // The reading that was in place until the parser read characters in place, kept here as the oracle. Where it threw
        // (a zone DateTimeOffset cannot hold, the end of 9999) the parser answers; those are left out of the comparison,
        // as are a zone minute past 59 and digits of other scripts.
        static bool Oracle(string text, out DateRange range)
        {
            range = default;
            if (string.IsNullOrWhiteSpace(text)) return false;
            // Its \d took any script's digits, and threw or misread them; FHIR's dates are ASCII, and the parser reads only those.
            if (text.Any(c => char.IsDigit(c) && !char.IsAsciiDigit(c))) throw new FormatException("not an ASCII digit");
            var m = OraclePattern().Match(text.Trim());
            if (!m.Success) return false;
            int Part(string name, int otherwise) => m.Groups[name].Success ? int.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) : otherwise;
            int year = Part("y", 0), month = Part("M", 1), day = Part("d", 1), hour = Part("h", 0), minute = Part("m", 0), second = Part("s", 0);
            var fraction = m.Groups["f"].Success ? m.Groups["f"].Value : null;
            if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
                return false;
            var offset = TimeSpan.Zero;
            if (m.Groups["z"].Success && m.Groups["z"].Value != "Z")
            {
                var z = m.Groups["z"].Value;
                // It read "+02:60" as three hours; the parser refuses a zone's minute past 59, as FHIR's dateTime does.
                if (int.Parse(z.Substring(4, 2), CultureInfo.InvariantCulture) > 59) throw new ArgumentException("no such zone");
                offset = new TimeSpan(int.Parse(z.Substring(1, 2), CultureInfo.InvariantCulture), int.Parse(z.Substring(4, 2), CultureInfo.InvariantCulture), 0) * (z[0] == '-' ? -1 : 1);
            }
            var millis = fraction is null ? 0 : int.Parse((fraction + "00")[..3], CultureInfo.InvariantCulture);
            var start = new DateTimeOffset(year, month, day, hour, minute, second, millis, offset);
            var end = fraction is not null ? start.AddMilliseconds(1)
                : m.Groups["s"].Success ? start.AddSeconds(1)
                : m.Groups["m"].Success ? start.AddMinutes(1)
                : m.Groups["d"].Success ? start.AddDays(1)
                : m.Groups["M"].Success ? start.AddMonths(1)
                : start.AddYears(1);
            range = new DateRange(start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
            return true;
        }

        var random = new Random(20261207);
        string[] seeds = ["2016", "2016-02", "2016-02-29", "2016-02-29T10:15", "2016-02-29T10:15:30", "2016-02-29T10:15:30.250",
            "2016-02-29T10:15:30Z", "2016-02-29T10:15:30.123456+02:00", "1999-12-31T23:59-11:30", "2015-06-01T00:00:00.5Z"];
        const string alphabet = "0123456789-:T.Z+ x٣";
        int compared = 0, accepted = 0;
        for (var n = 0; n < 60_000; n++)
        {
            var text = seeds[random.Next(seeds.Length)].ToCharArray().ToList();
            for (var k = random.Next(4); k > 0; k--)
            {
                var at = random.Next(text.Count + 1);
                switch (random.Next(3))
                {
                    case 0 when at < text.Count: text[at] = alphabet[random.Next(alphabet.Length)]; break;
                    case 1 when at < text.Count: text.RemoveAt(at); break;
                    default: text.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                }
            }
            var candidate = new string(text.ToArray());
            bool expected;
            DateRange oracle;
            try { expected = Oracle(candidate, out oracle); }
            catch (Exception e) when (e is ArgumentException or FormatException) { continue; }
            var actual = DateRange.TryParse(candidate, out var range);
            compared++;
            Assert.True(expected == actual, $"'{candidate}': the regular expression says {expected}, the parser {actual}");
            if (!expected) continue;
            accepted++;
            Assert.True(oracle == range, $"'{candidate}': {oracle} against {range}");
        }
        Assert.True(compared > 50_000 && accepted > compared / 5, $"{accepted} of {compared} accepted");
    }

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<M>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<m>\d{2})(:(?<s>\d{2})(\.(?<f>\d{1,9}))?)?(?<z>Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex OraclePattern();

    [Theory]
    [InlineData("Ça Été Ñandú", "ca ete nandu")]
    [InlineData("Straße", "strasse")]
    [InlineData("ŁÓDŹ", "lodz")]
    [InlineData("Body Weight", "body weight")]
    [InlineData("already lower, 42", "already lower, 42")]
    [InlineData("", "")]
    public void Text_is_folded_for_search(string text, string folded) => Assert.Equal(folded, TextNormalizer.Normalize(text));
}
