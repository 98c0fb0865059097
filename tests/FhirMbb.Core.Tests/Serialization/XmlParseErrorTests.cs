using System.Text;
using System.Xml.Linq;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Tests.Search;

namespace FhirMbb.Core.Tests.Serialization;

/// <summary>
/// Whatever XML a client sends, <see cref="FhirSerialization.ParseXml"/> answers with a resource or a 400: an exception
/// of any other kind would reach the client as a 500. (The JSON side is covered by the mutations of
/// <see cref="QuickParseEquivalenceTests"/>.)
/// </summary>
public sealed class XmlParseErrorTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    [Theory]
    // The deserializer throws NotSupportedException here (it was a 500).
    [InlineData("""<Observation xmlns="http://hl7.org/fhir" value="x"><status value="final"/><code><text value="x"/></code></Observation>""")]
    [InlineData("""<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code value="x"><text value="x"/></code></Observation>""")]
    [InlineData("""<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="x"/></code><value value="5"/></Observation>""")]
    [InlineData("""<DataType xmlns="http://hl7.org/fhir"/>""")]
    [InlineData("""<Resource xmlns="http://hl7.org/fhir"><id value="a"/></Resource>""")]
    public void Misshapen_xml_is_a_400(string xml)
    {
        var e = Assert.Throws<FhirOperationException>(() => Serialization.ParseXml(Encoding.UTF8.GetBytes(xml)));
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void Mutated_Synthea_resources_in_xml_are_read_or_refused_with_a_400()
    {
        var resources = ElementPathEquivalenceTests.SyntheaResources();
        var random = new Random(20261206);
        string[] values = ["", " x", "bogus", "2020-13-45", "5", "true", "1.5", "a b", "<"];
        int variants = 0, refused = 0;
        var failures = new List<string>();
        for (var i = 0; i < resources.Count; i += 5)
        {
            var xml = Encoding.UTF8.GetString(Serialization.ToXmlBytes(resources[i]));
            for (var m = 0; m < 3; m++)
            {
                var document = XDocument.Parse(xml);
                var elements = document.Descendants().ToList();
                var element = elements[random.Next(elements.Count)];
                var ns = element.Name.Namespace;
                switch (random.Next(7))
                {
                    case 0 when element.Parent is not null: element.Remove(); break;
                    case 1: element.SetAttributeValue("value", values[random.Next(values.Length)]); break;
                    case 2: element.Add(new XElement(ns + "zz", new XAttribute("value", "1"))); break;
                    case 3: element.Add(new XElement(ns + "extension")); break;
                    case 4 when element.Parent is not null: element.AddAfterSelf(new XElement(element)); break;
                    case 5: element.SetAttributeValue("id", values[random.Next(values.Length)]); break;
                    default: element.Name = ns + (element.Name.LocalName + "x"); break;
                }
                variants++;
                try
                {
                    Serialization.ParseXml(Encoding.UTF8.GetBytes(document.ToString()));
                }
                catch (FhirOperationException e) when (e.Status == 400)
                {
                    refused++;
                }
                catch (Exception e)
                {
                    failures.Add($"{resources[i].TypeName}/{resources[i].Id} <{element.Name.LocalName}>: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(10)));
        Assert.True(variants > 5_000 && refused > variants / 4, $"{refused} of {variants} variants refused");
    }
}
