import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, errorResponses, type Service } from './service';

// Schema refusals as a client reads them: the field, and what is wrong with it in the schema's words.

let service: Service;
let base = '';

beforeAll(async () => {
  service = await createService({
    name: 'schema errors test',
    logger: false,
    routes(app) {
      app.post(
        '/when',
        {
          schema: {
            body: {
              type: 'object',
              required: ['at'],
              additionalProperties: false,
              properties: {
                at: { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^[0-9][0-9:TZ-]*$' }] },
                either: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'boolean' }] },
              },
            },
            response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errorResponses },
          },
        },
        async () => ({ ok: true }),
      );
    },
  });
  ({ url: base } = await service.listen());
});

afterAll(async () => {
  await service?.close();
});

const post = async (body: unknown): Promise<[number, { code: string; message: string } | { ok: boolean }]> => {
  const res = await fetch(`${base}/when`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return [res.status, (await res.json()) as { code: string; message: string }];
};

describe('schema refusals of a field with several accepted forms (anyOf)', () => {
  it("a string that fails the string form is told that form's problem, not 'must be of type number'", async () => {
    expect(await post({ at: 1 })).toEqual([200, { ok: true }]);
    expect(await post({ at: '2026-01-01T00:00Z' })).toEqual([200, { ok: true }]);
    expect(await post({ at: '10/21/2026' })).toEqual([
      400,
      { code: 'E_INPUT_INVALID', message: "The body field 'at' is not in the expected form." },
    ]);
    // A number out of the number form's range: that form's problem.
    expect(await post({ at: 1, either: -1 })).toEqual([
      400,
      { code: 'E_INPUT_INVALID', message: "The body field 'either' must be at least 0." },
    ]);
  });

  it('a value of none of the forms names every accepted type', async () => {
    expect(await post({ at: true })).toEqual([
      400,
      { code: 'E_INPUT_INVALID', message: "The body field 'at' must be of type number or string." },
    ]);
    expect(await post({ at: 1, either: 'x' })).toEqual([
      400,
      { code: 'E_INPUT_INVALID', message: "The body field 'either' must be of type number or boolean." },
    ]);
  });
});

describe('a value past a bound', () => {
  it("is told the schema's limit (it was 'out of the allowed range'), never its own value", async () => {
    const bounded = await createService({
      name: 'bounds test',
      logger: false,
      routes(app) {
        app.post(
          '/b',
          {
            schema: {
              body: {
                type: 'object',
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 8 },
                  one: { type: 'string', minLength: 1 },
                  n: { type: 'number', minimum: 0, maximum: 1e9 },
                  x: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
                  list: { type: 'array', minItems: 2, maxItems: 3 },
                },
              },
              response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errorResponses },
            },
          },
          async () => ({ ok: true }),
        );
      },
    });
    try {
      const { url } = await bounded.listen();
      const message = async (body: unknown): Promise<string> => {
        const res = await fetch(`${url}/b`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return ((await res.json()) as { message: string }).message;
      };
      expect(await message({ name: 'SECRET-NAME-LONG' })).toBe("The body field 'name' must be at most 8 characters long.");
      expect(await message({ one: '' })).toBe("The body field 'one' must be at least 1 character long.");
      expect(await message({ n: -3 })).toBe("The body field 'n' must be at least 0.");
      expect(await message({ n: 2e9 })).toBe("The body field 'n' must be at most 1000000000.");
      expect(await message({ x: 0 })).toBe("The body field 'x' must be more than 0.");
      expect(await message({ x: 1 })).toBe("The body field 'x' must be less than 1.");
      expect(await message({ list: [1] })).toBe("The body field 'list' must have at least 2 items.");
      expect(await message({ list: [1, 2, 3, 4] })).toBe("The body field 'list' must have at most 3 items.");
    } finally {
      await bounded.close();
    }
  });
});

describe('a JSON body with a prototype key', () => {
  const send = async (body: string, type = 'application/json'): Promise<[number, unknown]> => {
    const res = await fetch(`${base}/when`, { method: 'POST', headers: { 'content-type': type }, body });
    return [res.status, await res.json()];
  };
  const refusal = {
    code: 'E_INPUT_INVALID',
    message:
      "The request body is valid JSON but has a '__proto__' or 'constructor' key holding a prototype, refused for safety; rename that key.",
  };

  it("is refused for safety, saying so (it was 'The request body is not valid JSON.')", async () => {
    for (const body of ['{"__proto__": {"at": 1}}', '{"at": 1, "either": {"__proto__": 1}}', '{"constructor": {"prototype": {}}}'])
      expect([body, ...(await send(body))]).toEqual([body, 400, refusal]);
    expect(await send('{"__proto__": 1}', 'application/json; charset=utf-8')).toEqual([400, refusal]);
  });

  it('leaves other bodies as they were: invalid JSON, an empty body, a valid one', async () => {
    expect(await send('{"at": ')).toEqual([400, { code: 'E_INPUT_INVALID', message: 'The request body is not valid JSON.' }]);
    expect(await send('{"__proto__": ')).toEqual([400, { code: 'E_INPUT_INVALID', message: 'The request body is not valid JSON.' }]);
    expect(await send('')).toEqual([400, { code: 'E_INPUT_INVALID', message: 'The request body is empty; send a JSON document.' }]);
    expect(await send('{"at": 5}', 'application/json; charset=utf-8')).toEqual([200, { ok: true }]);
    expect(await send('{"at": 5, "constructor": 1}')).toEqual([
      400,
      expect.objectContaining({ message: 'The body has a field this route does not accept: it takes at and either.' }),
    ]);
  });
});
