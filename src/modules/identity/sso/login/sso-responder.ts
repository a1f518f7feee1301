import type { Request, Response } from 'express';
import { RequestContextStore } from '../../../../core/context/request-context.js';
import { problem, sendProblem } from '../../../../core/errors/problem.js';
import type { SsoLoginFailure } from '../sso.exception.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Browsers (Accept: text/html) get a small page; everything else problem+json. Same status, same reason code. */
export function sendLoginFailure(
  req: Request,
  res: Response,
  failure: SsoLoginFailure,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.setHeader('Cache-Control', 'no-store');
  const wantsHtml = req.accepts(['application/problem+json', 'application/json', 'text/html']) === 'text/html';
  if (!wantsHtml) {
    sendProblem(res, problem(failure.status, failure.reason, 'Sign-in failed'), headers);
    return;
  }
  const requestId = RequestContextStore.get()?.requestId ?? '';
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head>` +
    `<body><h1>Sign-in failed</h1><p>Reason: <code>${escapeHtml(failure.reason)}</code></p>` +
    `<p>Request id: <code>${escapeHtml(requestId)}</code></p></body></html>`;
  res.status(failure.status).set(headers).type('text/html; charset=utf-8').send(body);
}
