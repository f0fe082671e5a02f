import { parseDocument } from 'yaml';
import { HooksConfigError } from '../errors.js';

/**
 * A small YAML config file's text → plain data, duplicate keys refused, errors as
 * HooksConfigError naming the line. Its own module so that `yaml` is imported statically here
 * and this module lazily: a bundler then keeps yaml's named exports (a dynamic `import('yaml')`
 * of the CommonJS package can come back with only a default export).
 */
export function parseYamlConfig(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw new HooksConfigError(file, `${at ? `line ${at.line}: ` : ''}${error.message.split('\n')[0]}`, { cause: error });
  }
  return doc.toJS({ maxAliasCount: 100 });
}
