// The bare baseline: Express 5 answering a small JSON list, nothing else. Started by bench/run.mjs in its own process.
import express from 'express';

const app = express();
app.use(express.json());
// The same payload shape and size as GET /api/v1/projects answers for 10 and for 100 projects.
const project = (i) => ({
  id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  name: `project-${i}`,
  description: null,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});
const pages = {
  10: Array.from({ length: 10 }, (_, i) => project(i)),
  100: Array.from({ length: 100 }, (_, i) => project(i)),
};
app.get('/list/:n', (req, res) => res.json({ items: pages[req.params.n], nextCursor: null }));
const server = app.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
