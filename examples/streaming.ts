/**
 * Example: a streaming chat completion (the seed's example_streaming.py): the text is printed chunk by
 * chunk as the gateway relays it, then the usage from the final frame.
 * Run: `npm run example:streaming` (with the gateway running: `npm start`).
 */
import { demoClient, runExample } from './demo-connection.ts';

const RULE = '-'.repeat(60);

runExample(async () => {
  const client = demoClient();

  console.log('Creating job...');
  const job = await client.createJob({ job_type: 'streaming_example', metadata: { example: 'streaming' } });
  console.log(`Job created: ${job.job_id}\n`);

  console.log('Streaming response:\n');
  console.log(RULE);

  const stream = client.chatStream({
    model_group: 'chat-fast',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Write a short poem about the ocean.' },
    ],
    temperature: 0.8,
    purpose: 'streaming_example',
  });

  let accumulated = '';
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta.content;
    if (content) {
      accumulated += content;
      process.stdout.write(content); // each piece as it arrives: no buffering
    }
    // The usage arrives in the last frame, which has no choices.
    if (chunk.usage) {
      console.log(`\n\n${RULE}`);
      console.log(`Usage: { prompt_tokens: ${chunk.usage.prompt_tokens}, completion_tokens: ${chunk.usage.completion_tokens}, total_tokens: ${chunk.usage.total_tokens} }`);
    }
  }

  console.log(RULE);
  console.log(`\nFull response length: ${accumulated.length} characters`);
  if (stream.metadata) console.log(`Time to first token: ${stream.metadata.ttft_ms ?? '?'} ms, total ${stream.metadata.latency_ms} ms (call ${stream.callId})`);

  console.log('\nCompleting job...');
  await client.completeJob({ status: 'completed', result: { response: accumulated } });
  console.log('Job completed!');
});
