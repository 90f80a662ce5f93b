/**
 * The local stack's Kafka cluster id: what StorageTool's `format -t` accepts. A URL-safe base64
 * id starting with '-' is read by its argument parser as an option (a CI run failed on one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaClusterId } from '../../../src/local-stack/services.js';

describe('kafkaClusterId', () => {
  it("is 22 URL-safe base64 characters and never starts with '-'", () => {
    // 0xf8… encodes to a leading '-' in base64url (0b111110 = 62 → '-'): drawn first, then skipped
    const draws = ['f8000000-0000-4000-8000-000000000000', '01234567-89ab-4cde-8f01-23456789abcd'];
    const id = kafkaClusterId(() => draws.shift()!);
    assert.equal(draws.length, 0, 'the id starting with - was drawn and skipped');
    assert.equal(id, Buffer.from('0123456789ab4cde8f0123456789abcd', 'hex').toString('base64url'));
    assert.equal(Buffer.from('f8000000000040008000000000000000', 'hex').toString('base64url')[0], '-');
    for (let i = 0; i < 2000; i++) assert.match(kafkaClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
