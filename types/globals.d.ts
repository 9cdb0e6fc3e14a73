/** Replaced by tsup's `define` with the package version at build time. */
declare const __SWITCHYARD_VERSION__: string;
