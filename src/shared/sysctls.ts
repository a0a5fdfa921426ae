// The sysctls a container may set: those the kernel keeps per namespace (IPC's
// kernel.msg*, sem and shm*, POSIX message queues, and the network's net.*),
// as the docker CLI and runc allow them. Others would change the host.
const ipcKeys = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

export function namespacedSysctl(key: string): boolean {
  return ipcKeys.includes(key) || key.startsWith("fs.mqueue.") || key.startsWith("net.");
}

/** Whether a namespaced key belongs to the network namespace (refused with the host's network). */
export function networkSysctl(key: string): boolean {
  return key.startsWith("net.");
}
