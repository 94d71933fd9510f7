import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';

/** Algorithm of the key pairs provisioning generates for private_key_jwt services. */
export const PROVISIONED_CLIENT_KEY_ALG = 'ES256';

/**
 * A fresh ES256 key pair for a calling service's private_key_jwt (RFC 7523 §2.2), through jose:
 * the private key as PKCS#8 PEM (for the service's file only), the public key as SPKI PEM (for the
 * database).
 */
export async function generateClientKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const { privateKey, publicKey } = await generateKeyPair(PROVISIONED_CLIENT_KEY_ALG, {
    extractable: true,
  });
  return { privatePem: await exportPKCS8(privateKey), publicPem: await exportSPKI(publicKey) };
}
