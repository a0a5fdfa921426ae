// The runtime's one door: the daemon reaches containers only through what is
// exported here (tests/build/layering.test.ts holds it to that). A container
// is a directory holding config.json (a RuntimeSpec); its shim adds state.json
// and the json-file log, and every call works from the directory alone, so a
// restarted daemon finds the containers an earlier one started.

// Running containers: start, wait, signal, stop, attach, resize, pause, stats, update, exec, adoption.
export { Runtime, createRuntime, shimSocketPath, type RuntimeOptions } from "./driver/runtime.ts";
export type { RuntimeExit, RuntimeStatus } from "./driver/status.ts";
export { EXEC_NOT_STARTED, StartError } from "./start-error.ts";
export { setOwnOomScore } from "./oom-score.ts";
export { signalNumber } from "./shim/session.ts";
export type { ExecConfig } from "./exec/config.ts";
export type { ExecProcess } from "./exec/starter.ts";
export type { CgroupStats } from "./cgroups/index.ts";

// User namespaces (the daemon's --userns-remap): the mapping, checked and made before the daemon starts.
export { resolveRemap, remappedRoot, type RemapIdentity } from "./userns/remap.ts";
export { checkDataRootPath, shareWithRemappedRoot } from "./userns/data-root.ts";
export { containerOwnerIn, hostOwnerIn } from "./userns/id-map.ts";

// What a container is given: its spec, with Docker's defaults.
export { containerSpec, defaultCapabilities, defaultMaskedPaths, defaultReadonlyPaths, type RuntimeSpec, type BindMount } from "./spec.ts";
export { applyCapChanges, capabilityNumber } from "./capabilities.ts";
export { blockIOSupport, containerCgroupPath, type BlockIO } from "./cgroups/index.ts";
export { containerDeviceRules, parseDeviceCgroupRule, validDeviceAccess, type DeviceRule } from "./devices/rules.ts";
export { deviceAt, devicesUnder, ruleFor, type DeviceNode } from "./devices/nodes.ts";
export type { LogRotation } from "./shim/log.ts";
export { defaultProfile, type Profile } from "./seccomp/profile.ts";
export { ProfileError, nativeArch, resolveProfile } from "./seccomp/resolve.ts";
export { seccompProgram } from "./seccomp/program.ts";
export type { SeccompProgram } from "./seccomp/install.ts";

// A container's files for cp and export. Each operation runs chrooted in the root
// it is given (a running container can swap a directory for a symlink between a
// check and a use: CVE-2018-15664).
export { withRoot, withReadView, streamFromReadView, releaseReadViews, releaseStaleViews, type RootLayout } from "./archive/root-views.ts";
export { statInRoot, tarFromRoot, extractIntoRoot, type PathStat } from "./archive/chroot-archive.ts";
export { followContainerPath, type PathHolder } from "./archive/container-path.ts";

// The host's mounts: Docker's propagation check for binds, and the filesystems of volumes made with options.
export { propagationProblem, isMountPoint, keepMountPrivate, mountFilesystem, unmountFilesystem } from "./host-mounts.ts";
export { receivesEvents } from "./mount-options.ts";
