// oidc-provider ships no type declarations; the test IdP uses a small, untyped part of it.
declare module 'oidc-provider' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Provider: any;
  export default Provider;
}
