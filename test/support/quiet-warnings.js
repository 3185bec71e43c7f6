// The suites assert warnings through PrefectWarnings.of(); synths of risky configurations on
// purpose would otherwise print them by the hundred.
process.env.CDK8S_PREFECT_WARNINGS ??= 'silent';
