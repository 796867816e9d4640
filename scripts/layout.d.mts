// Types of scripts/layout.mjs (the layout table of docs/ARCHITECTURE.md, for the lint and the layout test).
export type LayoutTable = Record<string, string[]>;
export function layoutTable(text?: string): LayoutTable;
export function forbiddenFor(folder: string, table?: LayoutTable): Array<{ group: string[]; message: string }>;
