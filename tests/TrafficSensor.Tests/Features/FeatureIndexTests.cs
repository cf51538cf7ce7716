using System.Reflection;
using TrafficSensor.Features;

namespace TrafficSensor.Tests.Features;

/// <summary>The positions extraction writes to are the schema's: one field per feature, each at its own name's position.</summary>
public class FeatureIndexTests
{
    [Fact]
    public void Every_feature_has_a_field_holding_its_position()
    {
        var fields = typeof(FeatureIndex).GetFields(BindingFlags.Public | BindingFlags.Static);
        Assert.Equal(FeatureSchema.Count, fields.Length);
        foreach (var field in fields)
        {
            // url_length ↔ UrlLength: the field is named after the feature it indexes.
            var position = (int)field.GetValue(null)!;
            Assert.InRange(position, 0, FeatureSchema.Count - 1);
            Assert.Equal(field.Name, string.Concat(FeatureSchema.Names[position].Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..])));
        }
        Assert.Equal(FeatureSchema.Count, fields.Select(f => (int)f.GetValue(null)!).Distinct().Count());
    }
}
