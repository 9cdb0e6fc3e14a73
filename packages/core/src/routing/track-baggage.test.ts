import { describe, expect, it } from 'vitest';
import { baggageWithTrack, trackFromBaggage } from './track-baggage.js';

describe('trackFromBaggage', () => {
  it('reads the track among other members and properties', () => {
    expect(trackFromBaggage('userId=7,switchyard.track=canary;ttl=3')).toBe('canary');
    expect(trackFromBaggage(['a=1', 'switchyard.track=b'])).toBe('b');
    expect(trackFromBaggage('switchyard.track=team%2Dx')).toBe('team-x');
  });

  it('ignores a missing, malformed or undecodable track instead of throwing', () => {
    expect(trackFromBaggage(undefined)).toBeUndefined();
    expect(trackFromBaggage('switchyard.trackless=1')).toBeUndefined();
    expect(trackFromBaggage('switchyard.track=has space')).toBeUndefined();
    expect(trackFromBaggage(`switchyard.track=${'x'.repeat(65)}`)).toBeUndefined();
    // decodeURIComponent throws URIError on these: a request header must not be able to crash a server.
    for (const bad of ['%', '%zz', '%E0%A4%A', 'a%']) {
      expect(trackFromBaggage(`switchyard.track=${bad}`)).toBeUndefined();
    }
  });
});

describe('baggageWithTrack', () => {
  it('replaces an existing track and keeps the other members', () => {
    expect(baggageWithTrack('a=1, switchyard.track=old', 'new')).toBe('switchyard.track=new,a=1');
    expect(baggageWithTrack('switchyard.track = old ;p=1,b=2', 'new')).toBe('switchyard.track=new,b=2');
    expect(trackFromBaggage(baggageWithTrack(undefined, 'canary'))).toBe('canary');
  });

  it('takes several header values (outgoing HTTP headers may hold an array), replacing the track in any', () => {
    // It threw (`header.split is not a function`) for an array, failing the HTTP call it was adding the track to.
    const header = ['a=1', 'switchyard.track=old, b=2'];
    expect(baggageWithTrack(header, 'new')).toBe('switchyard.track=new,a=1,b=2');
    expect(trackFromBaggage(baggageWithTrack(header, 'new'))).toBe('new');
  });

  it('puts the track first, so a receiver that drops members past the W3C limits keeps it', () => {
    // 8189 bytes of other members, within the limit: with the track appended, the header passed 8192
    // bytes and a receiver (OpenTelemetry's parser stops at the first member past it) lost the track.
    const large = Array.from({ length: 39 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(205)}`).join(',');
    const header = baggageWithTrack(large, 'canary');
    expect(header.startsWith('switchyard.track=canary,')).toBe(true);
    expect(trackFromBaggage(header.slice(0, 8192))).toBe('canary');
  });
});
