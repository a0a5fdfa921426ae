export async function shimMain(_argv: string[]): Promise<void> { throw new Error("shim not built yet"); }
