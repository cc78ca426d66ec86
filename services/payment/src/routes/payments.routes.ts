import { ChargeRequest, OrderId } from '@mesh/contracts';
import { validateRequest } from '@mesh/service-kit/express';
import { Type } from '@sinclair/typebox';
import { Router } from 'express';
import { chargePayment } from '../domain/charge-payment';
import type { PaymentDeps } from '../domain/deps';
import { getPayment } from '../domain/get-payment';
import { voidPayment } from '../domain/void-payment';

const OrderParams = Type.Object({ orderId: OrderId });

export function paymentRoutes(deps: PaymentDeps): Router {
  const router = Router();

  // 201 when this request charged (a decline included: it is an answer, not an error);
  // 200 with the earlier payment when the order was charged or voided before.
  router.post('/payments', validateRequest({ body: ChargeRequest }), async (req, res) => {
    const { payment, charged } = await chargePayment(deps, req.body as ChargeRequest);
    res.status(charged ? 201 : 200).json(payment);
  });

  router.post(
    '/payments/:orderId/void',
    validateRequest({ params: OrderParams }),
    async (req, res) => {
      res.json(await voidPayment(deps, req.params.orderId as string));
    },
  );

  router.get('/payments/:orderId', validateRequest({ params: OrderParams }), async (req, res) => {
    res.json(await getPayment(deps, req.params.orderId as string));
  });

  return router;
}
