import type { AddonConfig, Config } from './types.js';

// The image an add-on's PostgreSQL runs in follows its major version: `defaults.image` is a template in which
// `{version}` stands for the add-on's `version` ("dbform-postgresql:{version}" by default, so version "17"
// runs dbform-postgresql:17, which `scripts/build-image.sh --version 17` builds). An image without the
// placeholder is used for every version as it is (the user then keeps it in step with `version`).

export const IMAGE_VERSION_PLACEHOLDER = '{version}';

/** The image of one add-on: defaults.image with {version} replaced by the add-on's major version. */
export function addonImage(config: Pick<Config, 'defaults'>, addon: Pick<AddonConfig, 'version'>): string {
  return config.defaults.image.split(IMAGE_VERSION_PLACEHOLDER).join(addon.version);
}
