// The driver's quoting functions, from the module that defines them (pg exports `pg/lib/*`): importing them
// from there does not load the whole driver, which a command needs only once it connects.
declare module 'pg/lib/utils.js' {
  const utils: {
    escapeIdentifier(name: string): string;
    escapeLiteral(value: string): string;
  };
  export default utils;
}
