'use strict';
/**
 * Serverless Framework provider plugin for Huawei Cloud FunctionGraph (provider `huawei`), for osls
 * 3 (the maintained open-source continuation of Serverless Framework v3). The community plugin
 * serverless-huawei-functions is not published on npm, so the project ships its own.
 *
 * osls loads plugins with require(), so this entry is CommonJS and small: it declares the provider,
 * the CLI options and the lifecycle hooks. The commands themselves are TypeScript (provider.ts, on
 * the project's shared/cloud clients) and are loaded through tsx when a hook first runs.
 *
 *   serverless package   builds the esbuild bundles and zips one per function (index.js at the root)
 *   serverless deploy    SMN topics, functions (code, config, agency), triggers, async-invoke config
 *   serverless info      what is deployed
 *   serverless invoke -f create-services --data '{…}'   synchronous invocation (--type Event: async)
 *   serverless remove    deletes the functions (--remove-topics: the SMN topics too)
 */
const tsx = require('tsx/cjs/api');

const regionOption = {
  usage: 'Huawei Cloud region (default: provider.region of serverless.yml)',
  shortcut: 'r',
  type: 'string',
};

let implementation;
function provider() {
  implementation ??= tsx.require('./provider.ts', __filename);
  return implementation;
}

// Configuration and cloud errors are reported as a message, without a stack: they are the user's to fix.
const EXPECTED_ERRORS = new Set([
  'DeployConfigError',
  'DeployError',
  'InvocationFailedError',
  'CodePackageError',
  'CredentialsError',
  'ProjectNotFoundError',
  'EndpointConfigError',
  'CloudApiError',
  'NotFoundError',
  'ConflictError',
  'ThrottledError',
  'AuthError',
  'CloudNetworkError',
  'UnexpectedResponseError',
]);

class HuaweiFunctionGraphProvider {
  static getProviderName() {
    return 'huawei';
  }

  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options || {};
    this.provider = this;
    const fallback = (message) => process.stderr.write(`${message}\n`);
    this.log = utils?.log || { notice: fallback, info: fallback, warning: fallback };
    this.writeText = utils?.writeText || ((text) => process.stdout.write(`${text}\n`));
    serverless.setProvider('huawei', this);

    this.commands = {
      package: { options: { region: regionOption } },
      deploy: { options: { region: regionOption } },
      info: { options: { region: regionOption } },
      invoke: { options: { region: regionOption } },
      remove: {
        options: {
          region: regionOption,
          'remove-topics': { usage: 'Also delete the SMN topics of serverless.yml', type: 'boolean' },
        },
      },
    };

    this.hooks = {
      // Before the framework's own packaging, which is skipped for functions that have an artifact.
      'before:package:createDeploymentArtifacts': () => this.run('package'),
      'deploy:deploy': () => this.run('deploy'),
      'info:info': () => this.run('info'),
      'invoke:invoke': () => this.run('invoke'),
      'remove:remove': () => this.run('remove'),
    };
  }

  async run(command) {
    try {
      await provider().runCommand(command, {
        serverless: this.serverless,
        options: this.options,
        log: this.log,
        writeText: this.writeText,
      });
    } catch (error) {
      if (error && EXPECTED_ERRORS.has(error.name)) {
        throw new this.serverless.classes.Error(error.message, error.name);
      }
      throw error;
    }
  }
}

module.exports = HuaweiFunctionGraphProvider;
