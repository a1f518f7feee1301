// The bare baseline: Express 5 answering a small JSON list, nothing else. Started by bench/run.mjs in its own process.
import express from 'express';

const app = express();
app.use(express.json());
const items = Array.from({ length: 100 }, (_, i) => ({ id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, name: `project-${i}`, description: null, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() }));
app.get('/list', (_req, res) => res.json({ items, nextCursor: null }));
const server = app.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
