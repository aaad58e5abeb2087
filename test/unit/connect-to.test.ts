// --connect-to HOST:PORT:ADDR:PORT2 (curl's syntax): parsing and routing.
import { describe, expect, it } from 'vitest';
import { parseConnectTo, routeFor } from '../../src/config/connect-to.js';

describe('parseConnectTo', () => {
  it('reads the four fields', () => {
    expect(parseConnectTo('outlook.office365.us:993:127.0.0.1:10993')).toEqual({ host: 'outlook.office365.us', port: 993, toHost: '127.0.0.1', toPort: 10993 });
  });

  it('lower-cases the name matched, keeps the target as given', () => {
    expect(parseConnectTo('Outlook.Office365.COM:993:Front1.Example:993')).toEqual({ host: 'outlook.office365.com', port: 993, toHost: 'Front1.Example', toPort: 993 });
  });

  it('takes an empty field as any host/port (left) or the same host/port (right)', () => {
    expect(parseConnectTo('::10.0.0.5:')).toEqual({ toHost: '10.0.0.5' });
    expect(parseConnectTo('outlook.office365.com:::1993')).toEqual({ host: 'outlook.office365.com', toPort: 1993 });
  });

  it('takes IPv6 addresses in brackets', () => {
    expect(parseConnectTo('outlook.office365.com:993:[::1]:10993')).toEqual({ host: 'outlook.office365.com', port: 993, toHost: '::1', toPort: 10993 });
  });

  it.each([
    ['outlook.office365.com:993:127.0.0.1', 'expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT'],
    ['a:1:b:2:3', 'expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT'],
    ['outlook.office365.com:993:[::1:10993', 'expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT'],
    ['outlook.office365.com:99999:127.0.0.1:993', 'expected a port number'],
    ['bad host:993:127.0.0.1:993', 'expected a host name'],
  ])('rejects %j', (rule, message) => {
    expect(() => parseConnectTo(rule)).toThrow(message);
  });
});

describe('routeFor', () => {
  const rules = [parseConnectTo('outlook.office365.com:993:127.0.0.1:10993'), parseConnectTo('login.microsoftonline.com::127.0.0.1:')];

  it('sends a matching host and port to the target', () => {
    expect(routeFor('OUTLOOK.office365.com', 993, rules)).toEqual({ host: '127.0.0.1', port: 10993 });
  });

  it('keeps the port where the target leaves it empty, and matches any port where the rule does', () => {
    expect(routeFor('login.microsoftonline.com', 443, rules)).toEqual({ host: '127.0.0.1', port: 443 });
  });

  it('leaves everything else alone, the first matching rule winning', () => {
    expect(routeFor('outlook.office365.com', 143, rules)).toEqual({ host: 'outlook.office365.com', port: 143 });
    expect(routeFor('imap.example.com', 993, rules)).toEqual({ host: 'imap.example.com', port: 993 });
    expect(routeFor('outlook.office365.com', 993, [...rules, parseConnectTo(':::1')])).toEqual({ host: '127.0.0.1', port: 10993 });
  });
});
