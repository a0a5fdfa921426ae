export async function initMain(_argv: string[]): Promise<void> { throw new Error("init not built yet"); }
