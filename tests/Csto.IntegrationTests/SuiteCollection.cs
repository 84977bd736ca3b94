using Csto.Testing;

namespace Csto.IntegrationTests;

[CollectionDefinition("suite")]
public sealed class SuiteCollection : ICollectionFixture<SuiteFixture>;
