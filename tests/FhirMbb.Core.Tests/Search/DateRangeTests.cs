using FhirMbb.Core.Search;

namespace FhirMbb.Core.Tests.Search;

public sealed class DateRangeTests
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
    public void Invalid_dates_are_refused(string text) => Assert.False(DateRange.TryParse(text, out _));

    [Theory]
    [InlineData("Ça Été Ñandú", "ca ete nandu")]
    [InlineData("Straße", "strasse")]
    [InlineData("ŁÓDŹ", "lodz")]
    public void Text_is_folded_for_search(string text, string folded) => Assert.Equal(folded, TextNormalizer.Normalize(text));
}
