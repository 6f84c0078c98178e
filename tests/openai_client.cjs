// openai_client.cjs — the official OpenAI Node library against `charrnn serve`:
//   node tests/openai_client.cjs BASE_URL
// lists the models, asks a completion whole and streamed, and prints one JSON line of what it got.
const OpenAI = require('openai');

async function main() {
  const client = new OpenAI({ baseURL: process.argv[2] + '/v1', apiKey: 'any' });
  const models = await client.models.list();
  const ask = { model: 'kjv-small', prompt: 'And God said', max_tokens: 40, temperature: 0.8, top_p: 0.95, seed: 3 };
  const whole = await client.completions.create(ask);
  let streamed = '', finish = null;
  for await (const chunk of await client.completions.create({ ...ask, stream: true })) {
    streamed += chunk.choices[0].text;
    finish = chunk.choices[0].finish_reason || finish;
  }
  let error = null;
  try {
    await client.completions.create({ ...ask, temperature: -1 });
  } catch (e) {
    error = { status: e.status, param: e.param, message: e.message };
  }
  console.log(JSON.stringify({ models: models.data.map(m => m.id), whole: whole.choices[0].text,
                               usage: whole.usage, streamed, finish, error }));
}
main().catch(e => { console.error(e); process.exit(1); });
