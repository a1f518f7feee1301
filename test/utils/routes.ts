import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { IS_PLATFORM, IS_PUBLIC } from '../../src/core/http/decorators.js';
import { POLICY, type PolicyMeta } from '../../src/core/http/policies.js';
import type { RunningServer } from '../../src/app.factory.js';

export interface RegisteredRoute {
  method: string;
  path: string;
  public: boolean;
  platform: boolean;
  /** The declared policy (`@CheckPolicies`), when the route has one. */
  policy?: PolicyMeta;
}

const join = (...parts: string[]): string =>
  `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/**
 * Every route the application registers, read from Nest's controllers (with their `@Public()` / `@PlatformOnly()`
 * marks) and cross-checked against the routes Express actually serves, so a new route is covered without editing
 * any test. Express routes Nest does not know about (the Swagger UI under /docs) are returned as public.
 */
export function registeredRoutes(server: RunningServer): RegisteredRoute[] {
  const fromNest = new Map<string, RegisteredRoute>();
  for (const mod of server.app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...a: unknown[]) => unknown) | null;
      if (!ctrl) continue;
      const base = [Reflect.getMetadata(PATH_METADATA, ctrl) ?? ''].flat() as string[];
      const proto = ctrl.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const paths = [Reflect.getMetadata(PATH_METADATA, handler) ?? ''].flat() as string[];
        const isPublic = Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, ctrl) ?? false;
        const isPlatform = Reflect.getMetadata(IS_PLATFORM, handler) ?? Reflect.getMetadata(IS_PLATFORM, ctrl) ?? false;
        for (const b of base)
          for (const p of paths) {
            const path = join(b, p);
            const policy = Reflect.getMetadata(POLICY, handler) as PolicyMeta | undefined;
            fromNest.set(`${method} ${path}`, { method, path, public: !!isPublic, platform: !!isPlatform, policy });
          }
      }
    }
  }
  const express = server.app.getHttpAdapter().getInstance() as {
    router?: { stack: unknown[] };
    _router?: { stack: unknown[] };
  };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const out: RegisteredRoute[] = [];
  for (const layer of stack as { route?: { path: string; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    for (const m of Object.keys(layer.route.methods)) {
      const method = m.toUpperCase();
      // Express 5 registers a Nest `@All()` route once per HTTP method: each of them carries the `ALL` route's marks.
      const known = fromNest.get(`${method} ${layer.route.path}`) ?? fromNest.get(`ALL ${layer.route.path}`);
      out.push(known ? { ...known, method } : { method, path: layer.route.path, public: true, platform: false });
    }
  }
  // Every route Nest declares must be one Express serves (otherwise the cross-check above is incomplete).
  for (const r of fromNest.values()) {
    const served = (method: string) => out.some((o) => o.method === method && o.path === r.path);
    if (!(r.method === 'ALL' ? ALL_METHODS.every(served) : served(r.method)))
      throw new Error(`route not found in the router: ${r.method} ${r.path}`);
  }
  return out;
}

/** What an `ALL` route must at least answer to count as served. */
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** A concrete URL for a route pattern: every `:param` becomes a syntactically valid, unused UUID. */
export function concretePath(path: string): string {
  return path.replace(/:[A-Za-z0-9_]+/g, () => '0190a000-0000-7000-8000-00000000dead');
}
