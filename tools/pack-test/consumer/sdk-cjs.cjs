// Runs inside the scratch consumer project with plain `node`: each packed SDK through `require`
// (its CommonJS build), and a bad option given to each, which must come back as the one installed
// engine's AppliedMLError (the very class: `instanceof`, not only `isInstance`).
'use strict';

const { AppliedMLError } = require('@appliedml/engine');

const badOption = {
  '@appliedml/fraud': (m) => m.FraudDetector.create({ detector: 'no-such-detector' }),
  '@appliedml/text': (m) => m.TextClassifier.create({ model: 'no-such-model' }),
  '@appliedml/speech': (m) => m.SpeechRecognizer.create({ model: 'no-such-model' }),
  '@appliedml/traffic': (m) => m.TrafficForecaster.create({ model: 'no-such-model' }),
  '@appliedml/medical-imaging': (m) => m.ImageClassifier.create({ imageSize: -1 }),
};

/** The exported classes whose name is not the one they are exported as (a build that renames them: `_TextClassifier`). */
function renamedClasses(module, build) {
  return Object.entries(module)
    .filter(([key, value]) => typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value)) && value.name !== key)
    .map(([key, value]) => `${build}: ${key} is named ${value.name}`);
}

const fail = (message) => {
  process.stderr.write(`sdk-cjs: ${message}\n`);
  process.exit(1);
};

async function main() {
  const packages = {};
  for (const [name, create] of Object.entries(badOption)) {
    const sdk = require(name);
    const resolved = require.resolve(name);
    let error;
    try {
      const made = await create(sdk);
      if (made && typeof made.dispose === 'function') made.dispose();
    } catch (caught) {
      error = caught;
    }
    if (error === undefined) fail(`${name} accepted a bad option`);
    packages[name] = {
      resolved: resolved.split(require('node:path').sep).join('/'),
      errorCode: error.code,
      isInstance: AppliedMLError.isInstance(error),
      // isInstance works across duplicate engine installs by design; instanceof proves it is the one engine.
      sameClass: error instanceof AppliedMLError,
      message: String(error.message).slice(0, 160),
      // Both builds keep every exported class's name as written (an uncaught error printed `_AppliedMLError: …`).
      renamedClasses: [...renamedClasses(sdk, 'cjs'), ...renamedClasses(await import(name), 'esm')],
    };
  }
  process.stdout.write(`${JSON.stringify({ check: 'sdk-cjs', ok: true, packages })}\n`);
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
