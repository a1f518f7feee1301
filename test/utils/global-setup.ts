// Placeholder: replaced by the database global setup (foundation work in progress).
export default async function setup(): Promise<void> {}
