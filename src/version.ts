// The runtime version reported by --version and the metadata API (semver).
export const VERSION = '0.1.0';
