// Versions. VERSION is Pillion's own (semver), reported by `pillion --version` and the
// metadata API. DAPR_COMPAT_VERSION is the Dapr runtime version whose APIs Pillion serves;
// invoked as `daprd`, `--version` prints it, because launchers decide which flags to pass from
// it (the Dapr CLI drops --scheduler-host-address for versions below 1.14).
export const VERSION = '0.1.0';
export const DAPR_COMPAT_VERSION = '1.17.0';
