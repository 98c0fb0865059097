using FhirMbb.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFhirMbb();

var app = builder.Build();
app.UseFhirMbb();
app.Run();

/// <summary>Entry point, public so API tests can host it with WebApplicationFactory.</summary>
public partial class Program;
