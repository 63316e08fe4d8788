"""the department's assessing diagnosis of a teacher's yearly self-diagnosis; stored shortfall counts (issue 20)

Revision ID: assess20
Revises: trend20
Create Date: 2026-12-02 21:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'assess20'
down_revision = 'trend20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessing_diagnosis',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('self_diagnosis_id', sa.Integer(), nullable=False),
                    sa.Column('plan_id', sa.Integer(), nullable=False),
                    sa.Column('teacher_id', sa.Integer(), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('assessor_id', sa.Integer(), nullable=False),
                    sa.Column('text', sa.Text(), nullable=False),
                    sa.Column('conclusion', sa.String(length=16), nullable=True),
                    sa.Column('measures', sa.JSON(), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('next_plan_id', sa.Integer(), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
                    sa.CheckConstraint("status IN ('draft', 'agreed')", name=op.f('ck_assessing_diagnosis_status')),
                    sa.CheckConstraint("conclusion IS NULL OR conclusion IN ('target', 'standard', 'below_standard')",
                                       name=op.f('ck_assessing_diagnosis_conclusion')),
                    sa.ForeignKeyConstraint(['self_diagnosis_id'], ['self_diagnosis.id'],
                                            name=op.f('fk_assessing_diagnosis_self_diagnosis_id_self_diagnosis')),
                    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_assessing_diagnosis_plan_id_plan')),
                    sa.ForeignKeyConstraint(['teacher_id'], ['user.id'], name=op.f('fk_assessing_diagnosis_teacher_id_user')),
                    sa.ForeignKeyConstraint(['assessor_id'], ['user.id'], name=op.f('fk_assessing_diagnosis_assessor_id_user')),
                    sa.ForeignKeyConstraint(['next_plan_id'], ['plan.id'], name=op.f('fk_assessing_diagnosis_next_plan_id_plan')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessing_diagnosis')),
                    sa.UniqueConstraint('self_diagnosis_id', name=op.f('uq_assessing_diagnosis_self_diagnosis_id')))
    with op.batch_alter_table('assessing_diagnosis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessing_diagnosis_teacher_id'), ['teacher_id'], unique=False)
    op.create_table('teacher_shortfall',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('department_id', sa.Integer(), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('counts', sa.JSON(), nullable=False),
                    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                            name=op.f('fk_teacher_shortfall_department_id_department')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_shortfall')),
                    sa.UniqueConstraint('department_id', 'year', name=op.f('uq_teacher_shortfall_department_id_year')))


def downgrade():
    op.drop_table('teacher_shortfall')
    with op.batch_alter_table('assessing_diagnosis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessing_diagnosis_teacher_id'))
    op.drop_table('assessing_diagnosis')
